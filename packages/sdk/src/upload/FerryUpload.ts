import {
  DIGEST_HEADER,
  FILE_DESCRIPTION_MEDIA_TYPE,
  type FileDescription,
  formatSha256Digest,
  METADATA_KEYS,
  type ProcessingEvent,
  type ProcessingManifest,
} from '@ferry/protocol'
import {
  DefaultHttpStack,
  type DetailedError,
  type HttpRequest,
  type HttpResponse,
  Upload as TusUpload,
} from 'tus-js-client'
import { errorFromResponse, FerryError } from '../errors.js'
import { Emitter } from '../events/Emitter.js'
import type { HashCheckpoint, Hasher } from '../hash/types.js'
import { WorkerHasher } from '../hash/WorkerHasher.js'
import { followProcessing } from '../processing/followProcessing.js'
import { SpeedMeter } from '../progress/SpeedMeter.js'
import type { BackoffOptions } from '../retry/backoff.js'
import { defaultUrlStorage } from '../storage/defaultUrlStorage.js'
import { fingerprint } from '../storage/fingerprint.js'
import { trackStorageKey } from '../storage/trackStorageKey.js'
import type { FerryUrlStorage } from '../storage/types.js'
import { validateFile, type ValidationRules } from '../validation/validateFiles.js'
import { checksumHttpStack } from './checksumHttpStack.js'
import { discoverServer } from './discoverServer.js'
import { sendFinalizeRequest } from './sendFinalizeRequest.js'
import { StallWatchdog } from './StallWatchdog.js'
import { type RetryEvent, tusRetryOptions } from './tusRetry.js'
import { isOnline, watchConnectivity } from './watchConnectivity.js'

export interface UploadOptions {
  /** The tus endpoint, for example `https://example.com/files/`. */
  endpoint: string
  /**
   * Bytes per PATCH request. Larger chunks are faster; smaller ones lose less on a network error.
   * @default 8388608 (8 MiB)
   */
  chunkSize?: number
  /**
   * Extra Upload-Metadata. `filename` and `filetype` are filled from the File when absent.
   * @default {}
   */
  metadata?: Record<string, string>
  /**
   * Headers sent with every request (for example `Authorization`).
   * @default {}
   */
  headers?: Record<string, string>
  /**
   * Retries of failed requests: exponential backoff with full jitter, or the server's
   * `Retry-After`. Network errors, stalls, 5xx, 408, 409, 423 and 429 are retried.
   * @default { maxAttempts: 8, baseDelay: 500, maxDelay: 30000 }
   */
  retry?: BackoffOptions
  /**
   * Milliseconds without acknowledged bytes before the request is aborted and retried; 0 never.
   * @default 30000
   */
  stallTimeout?: number
  /**
   * Checked before any byte is sent: sizes, allowed types (MIME patterns like `image/*` or
   * extensions like `.pdf`) and the file's real type from its first bytes.
   * @default {}
   */
  validation?: ValidationRules
  /**
   * Where upload URLs (and hashing progress) are kept to resume after a reload or a restart.
   * @default IndexedDB where available, else memory
   */
  urlStorage?: FerryUrlStorage
  /**
   * Computes the whole-file SHA-256 that the server verifies.
   * @default new WorkerHasher()
   */
  hasher?: Hasher
  /**
   * Send `Upload-Checksum: sha256` with every chunk when the server has the tus checksum
   * extension, so a chunk damaged in transit is refused and sent again instead of stored.
   * @default true
   */
  chunkChecksums?: boolean
  /**
   * Split the file into this many partial uploads sent side by side and joined on the server,
   * when the server has the tus concatenation extension (otherwise one stream is used). Helps
   * on links where one connection cannot fill the pipe; off by default until measured there.
   * @default 1
   */
  parallelUploads?: number
  /**
   * After the upload, follow the server's post-processing (thumbnails, conversions…) over
   * Server-Sent Events and emit `processing` and `processed`.
   * @default true
   */
  followProcessing?: boolean
}

export const defaultUploadOptions = {
  chunkSize: 8 * 1024 * 1024,
  metadata: {} as Record<string, string>,
  headers: {} as Record<string, string>,
  retry: { maxAttempts: 8, baseDelay: 500, maxDelay: 30_000 } as BackoffOptions,
  stallTimeout: 30_000,
  validation: {} as ValidationRules,
  chunkChecksums: true,
  parallelUploads: 1,
  followProcessing: true,
}

export type UploadState =
  | 'idle'
  | 'uploading'
  | 'paused'
  | 'retrying'
  | 'hashing'
  | 'verifying'
  | 'processing'
  | 'done'
  | 'failed'
  | 'cancelled'

/** Events of a `FerryUpload`, for `on` and `off`. */
export interface UploadEvents {
  /** `speed` in bytes/s, smoothed; `eta` in seconds, `undefined` until it can be estimated. */
  progress: { bytesUploaded: number; bytesTotal: number; speed: number; eta: number | undefined }
  'hash-progress': { bytesHashed: number; bytesTotal: number }
  state: UploadState
  retry: RetryEvent
  success: FileDescription
  /** A step of the server's post-processing; `manifest` is the state after it. */
  processing: ProcessingEvent
  /** Post-processing has finished (`manifest.state` is `done` or `failed`); carries the outputs. */
  processed: ProcessingManifest
  error: FerryError
}

type ResolvedOptions = Required<Omit<UploadOptions, 'urlStorage'>> & Pick<UploadOptions, 'urlStorage'>

/**
 * One file's upload: validated first, then sent over tus in chunks while a Worker computes its
 * SHA-256, which goes with the request that completes the upload; the server checks it against
 * the bytes it stored. Resumes after a reload (IndexedDB), retries what is worth retrying, waits
 * out offline periods and restarts stalled requests. `start()` resolves with the server's
 * description of the stored file.
 *
 * @example
 * const upload = new FerryUpload(file, { endpoint: '/files/' })
 * upload.on('progress', ({ bytesUploaded, bytesTotal, eta }) => render(bytesUploaded / bytesTotal, eta))
 * const stored = await upload.start()
 */
export class FerryUpload extends Emitter<UploadEvents> {
  readonly file: Blob
  readonly options: ResolvedOptions
  #state: UploadState = 'idle'
  #tus: TusUpload | undefined
  #digest: Promise<Uint8Array> | undefined
  #digestSettled = false
  #hashAbort: AbortController | undefined
  #attempt: Attempt | undefined
  #storageKey: string | undefined
  #stalled = false
  #parallel = false
  #pausedForOffline = false
  #stopWatchingConnectivity: (() => void) | undefined
  readonly #speed = new SpeedMeter()
  readonly #watchdog: StallWatchdog

  constructor(file: Blob, options: UploadOptions) {
    super()
    this.file = file
    this.options = {
      ...defaultUploadOptions,
      ...withoutUndefined(options),
      endpoint: options.endpoint,
      hasher: options.hasher ?? new WorkerHasher(),
    }
    this.#watchdog = new StallWatchdog({
      timeout: this.options.stallTimeout,
      onStall: () => this.#restartStalled(),
    })
  }

  get state(): UploadState {
    return this.#state
  }

  /** The upload URL, once the server has created the upload. */
  get url(): string | null {
    return this.#tus?.url ?? null
  }

  /**
   * Starts the upload, or continues it after `pause()` or a failure, from the server's offset.
   * Resolves once the server has stored and checked the file; every call while the same attempt
   * is under way returns the same promise.
   */
  start(): Promise<FileDescription> {
    const running = ['uploading', 'retrying', 'hashing', 'verifying', 'processing', 'done']
    if (this.#attempt && running.includes(this.#state)) return this.#attempt.promise
    if (!this.#attempt || this.#state === 'failed' || this.#state === 'cancelled') {
      this.#attempt = createAttempt()
    }
    const attempt = this.#attempt
    this.#setState('uploading')
    this.#stopWatchingConnectivity ??= watchConnectivity(
      () => this.#onOffline(),
      () => this.#onOnline(),
    )
    this.#begin().catch((error: unknown) => this.#fail(toFerryError(error)))
    return attempt.promise
  }

  /** Stops sending; `start()` continues from the server's offset. Hashing carries on meanwhile. */
  async pause(): Promise<void> {
    if (!['uploading', 'retrying'].includes(this.#state)) return
    this.#setState('paused')
    this.#watchdog.stop()
    this.#speed.reset()
    await this.#tus?.abort(false)
  }

  /** Stops the upload for good and deletes what the server holds of it. */
  async cancel(): Promise<void> {
    if (['done', 'failed', 'cancelled'].includes(this.#state)) return
    this.#setState('cancelled')
    this.#cleanUp()
    this.#hashAbort?.abort()
    const tus = this.#tus
    if (tus?.url) await tus.abort(true).catch(() => tus.abort(false))
    else await tus?.abort(false)
    this.#attempt?.reject(new FerryError('the upload was cancelled', { code: 'cancelled' }))
  }

  async #begin(): Promise<void> {
    await validateFile(this.file, this.options.validation)
    const storage = trackStorageKey(await (this.options.urlStorage ?? defaultUrlStorage()), (key) => {
      this.#storageKey = key
    })
    const fileFingerprint = await fingerprint(this.file, { endpoint: this.options.endpoint }).catch(() => undefined)
    const previous = fileFingerprint ? (await storage.findUploadsByFingerprint(fileFingerprint))[0] : undefined
    if (previous) this.#storageKey = previous.urlStorageKey
    if (!this.#digest) {
      const checkpoint = this.#storageKey ? await storage.loadHashState(this.#storageKey) : undefined
      this.#digest = this.#startHashing(storage, checkpoint)
      // A hashing failure must surface even while the upload is still sending bytes.
      this.#digest.catch((error: unknown) => this.#fail(toFerryError(error)))
    }
    const server = await discoverServer(this.options.endpoint, this.options.headers)
    const checksums =
      this.options.chunkChecksums &&
      typeof crypto !== 'undefined' &&
      Boolean(crypto.subtle) &&
      server.extensions.includes('checksum') &&
      server.checksumAlgorithms.includes('sha256')
    this.#parallel = this.options.parallelUploads > 1 && server.extensions.includes('concatenation')
    if (this.#state !== 'uploading') return // paused or cancelled meanwhile
    const tus = this.#createTusUpload(storage, fileFingerprint, checksums)
    this.#tus = tus
    if (previous) tus.resumeFromPreviousUpload(previous)
    this.#watchdog.touch()
    tus.start()
  }

  #createTusUpload(storage: FerryUrlStorage, fileFingerprint: string | undefined, checksums: boolean): TusUpload {
    const { endpoint, chunkSize, headers } = this.options
    const fileInfo = this.file as Partial<File>
    return new TusUpload(this.file, {
      endpoint,
      chunkSize,
      headers,
      metadata: {
        [METADATA_KEYS.name]: fileInfo.name ?? 'blob',
        [METADATA_KEYS.type]: this.file.type || 'application/octet-stream',
        ...this.options.metadata,
      },
      urlStorage: storage,
      ...(this.#parallel ? { parallelUploads: this.options.parallelUploads } : {}),
      ...(checksums ? { httpStack: checksumHttpStack(new DefaultHttpStack({})) } : {}),
      fingerprint: async () => fileFingerprint ?? '',
      // Without a content fingerprint (no WebCrypto on plain http) two files could be confused.
      storeFingerprintForResuming: fileFingerprint !== undefined,
      removeFingerprintOnSuccess: true,
      ...tusRetryOptions({
        backoff: this.options.retry,
        isStall: () => this.#stalled,
        onRetry: (event) => {
          this.#stalled = false
          this.#setState('retrying')
          this.emit('retry', event)
        },
      }),
      onBeforeRequest: (request) => this.#attachDigestToFinalPatch(request),
      onProgress: (bytesUploaded, bytesTotal) => {
        this.#watchdog.touch()
        if (this.#state === 'retrying') this.#setState('uploading')
        this.#speed.update(bytesUploaded)
        const { speed } = this.#speed
        this.emit('progress', { bytesUploaded, bytesTotal, speed, eta: this.#speed.eta(bytesTotal) })
      },
      onSuccess: ({ lastResponse }) => {
        this.#watchdog.stop()
        this.#finish(lastResponse).then(
          (file) => this.#succeed(file),
          (error: unknown) => this.#fail(toFerryError(error)),
        )
      },
      onError: (error) => this.#fail(fromTusError(error)),
    })
  }

  #startHashing(storage: FerryUrlStorage, resumeFrom: HashCheckpoint | undefined): Promise<Uint8Array> {
    this.#hashAbort = new AbortController()
    this.#digestSettled = false
    const bytesTotal = this.file.size
    const digest = this.options.hasher.digest(this.file, {
      signal: this.#hashAbort.signal,
      ...(resumeFrom ? { resumeFrom } : {}),
      onProgress: (bytesHashed) => this.emit('hash-progress', { bytesHashed, bytesTotal }),
      onCheckpoint: ({ state, offset }) => {
        if (this.#storageKey) void storage.saveHashState(this.#storageKey, state, offset).catch(() => {})
      },
    })
    digest.then(
      () => (this.#digestSettled = true),
      () => {},
    )
    return digest
  }

  /**
   * The request that completes the upload carries the digest, waiting for hashing if needed: the
   * PATCH that writes the last byte, or with parallel uploads the creation of the final upload.
   */
  async #attachDigestToFinalPatch(request: HttpRequest): Promise<void> {
    if (!this.#digest) return
    if (this.#parallel) {
      if (request.getMethod() !== 'POST' || !request.getHeader('Upload-Concat')?.startsWith('final')) return
    } else {
      if (request.getMethod() !== 'PATCH') return
      const offset = Number(request.getHeader('Upload-Offset'))
      if (offset + this.options.chunkSize < this.file.size) return
    }
    if (!this.#digestSettled) {
      this.#watchdog.stop()
      this.#setState('hashing')
    }
    const digest = await this.#digest
    this.#setState('verifying')
    this.#watchdog.touch()
    request.setHeader(DIGEST_HEADER, formatSha256Digest(digest))
  }

  /**
   * Reads the file description from the answer to the final PATCH. When there is none (the upload
   * was already complete on resume, or the file is empty), a zero-length PATCH delivers the digest.
   */
  async #finish(lastResponse: HttpResponse): Promise<FileDescription> {
    if (lastResponse.getHeader('Content-Type')?.startsWith(FILE_DESCRIPTION_MEDIA_TYPE)) {
      return parseDescription(lastResponse.getBody(), lastResponse.getStatus())
    }
    const url = this.#tus?.url
    if (!url || !this.#digest) {
      throw new FerryError('the server did not return an upload URL', { code: 'invalid-response' })
    }
    this.#setState('verifying')
    const digest = await this.#digest
    const response = await sendFinalizeRequest({
      url,
      size: this.file.size,
      digest: formatSha256Digest(digest),
      headers: this.options.headers,
    })
    if (response.status < 200 || response.status >= 300) {
      throw errorFromResponse(response, 'the server refused to finish the upload')
    }
    if (response.contentType?.startsWith(FILE_DESCRIPTION_MEDIA_TYPE)) {
      return parseDescription(response.body, response.status)
    }
    // A tus server without Ferry's verification (stock @tus/server, tusd): the upload is stored,
    // but nobody checked its bytes, and the description says so.
    return this.#describeUnverified(url, digest)
  }

  #describeUnverified(url: string, digest: Uint8Array): FileDescription {
    const fileInfo = this.file as Partial<File>
    return {
      id: new URL(url).pathname.split('/').filter(Boolean).at(-1) ?? url,
      url,
      key: '',
      size: this.file.size,
      sha256: Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join(''),
      type: this.file.type || 'application/octet-stream',
      name: fileInfo.name ?? null,
      state: 'unverified',
      processing: 'none',
    }
  }

  #succeed(file: FileDescription): void {
    if (this.#state === 'cancelled' || this.#state === 'failed') return
    this.#cleanUp()
    const followsProcessing = this.options.followProcessing && Boolean(file.eventsUrl)
    this.#setState(followsProcessing ? 'processing' : 'done')
    this.emit('success', file)
    this.#attempt?.resolve(file)
    if (followsProcessing && file.eventsUrl) this.#followProcessing(file.eventsUrl)
  }

  /**
   * The stored file's post-processing, as `processing` events and a final `processed`. A failure
   * to follow it (not of the processing itself) is reported as an `error` event; the upload has
   * succeeded by then, so `start()` has already resolved.
   */
  #followProcessing(eventsUrl: string): void {
    followProcessing(eventsUrl, { onEvent: (event) => this.emit('processing', event) }).then(
      (manifest) => {
        this.#setState('done')
        this.emit('processed', manifest)
      },
      (error: unknown) => {
        this.#setState('done')
        this.emit('error', toFerryError(error))
      },
    )
  }

  /** No byte acknowledged for `stallTimeout`: abort the hung request and resume from the offset. */
  #restartStalled(): void {
    if (this.#state !== 'uploading' && this.#state !== 'verifying') return
    this.#stalled = true
    const tus = this.#tus
    void tus?.abort(false).then(() => {
      if (this.#state === 'cancelled' || this.#state === 'failed' || this.#tus !== tus) return
      this.emit('retry', {
        attempt: 1,
        delay: 0,
        reason: 'stalled',
        cause: new FerryError(`no progress for ${this.options.stallTimeout} ms`, { code: 'stalled' }),
      })
      this.#stalled = false
      this.#setState('paused')
      void this.start()
    })
  }

  #onOffline(): void {
    if (this.#state !== 'uploading' && this.#state !== 'retrying') return
    this.#pausedForOffline = true
    void this.pause()
  }

  #onOnline(): void {
    if (!this.#pausedForOffline || this.#state !== 'paused' || !isOnline()) return
    this.#pausedForOffline = false
    void this.start()
  }

  #fail(error: FerryError): void {
    if (['done', 'failed', 'cancelled', 'processing'].includes(this.#state)) return
    if (!this.#digestSettled) {
      // An unfinished hash is abandoned; a later start() hashes again from its last checkpoint.
      this.#hashAbort?.abort()
      this.#digest = undefined
    }
    this.#cleanUp()
    void this.#tus?.abort(false)
    this.#setState('failed')
    this.emit('error', error)
    this.#attempt?.reject(error)
  }

  #cleanUp(): void {
    this.#watchdog.stop()
    this.#stopWatchingConnectivity?.()
    this.#stopWatchingConnectivity = undefined
  }

  #setState(state: UploadState): void {
    if (this.#state === state) return
    this.#state = state
    this.emit('state', state)
  }
}

interface Attempt {
  promise: Promise<FileDescription>
  resolve: (file: FileDescription) => void
  reject: (error: FerryError) => void
}

function createAttempt(): Attempt {
  let resolve!: Attempt['resolve']
  let reject!: Attempt['reject']
  const promise = new Promise<FileDescription>((onResolve, onReject) => {
    resolve = onResolve
    reject = onReject
  })
  // A cancelled upload nobody awaits must not surface as an unhandled rejection.
  promise.catch(() => {})
  return { promise, resolve, reject }
}

function parseDescription(body: string, status: number): FileDescription {
  try {
    const parsed = JSON.parse(body) as FileDescription
    if (typeof parsed.id === 'string' && typeof parsed.sha256 === 'string') return parsed
  } catch {
    // fall through to the typed error below
  }
  throw new FerryError('the server answered the final request without a file description', {
    code: 'invalid-response',
    status,
    response: { status, body },
  })
}

function fromTusError(error: Error | DetailedError): FerryError {
  const response = 'originalResponse' in error ? error.originalResponse : null
  if (response) {
    return errorFromResponse(
      { status: response.getStatus(), body: response.getBody() ?? '' },
      error.message.replace(/^tus: /, ''),
      error,
    )
  }
  return new FerryError(error.message.replace(/^tus: /, ''), { code: 'network', cause: error })
}

function toFerryError(error: unknown): FerryError {
  if (error instanceof FerryError) return error
  return new FerryError(error instanceof Error ? error.message : String(error), {
    code: 'network',
    cause: error,
  })
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>
}
