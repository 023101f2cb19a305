import {
  DIGEST_HEADER,
  FILE_DESCRIPTION_MEDIA_TYPE,
  type FileDescription,
  formatSha256Digest,
  METADATA_KEYS,
} from '@ferry/protocol'
import {
  DefaultHttpStack,
  type HttpRequest,
  type HttpResponse,
  type HttpStack,
  Upload as TusUpload,
} from 'tus-js-client'
import { errorFromResponse, FerryError } from '../errors.js'
import { Emitter } from '../events/Emitter.js'
import { ChunkDigests } from '../hash/ChunkDigests.js'
import type { HashCheckpoint } from '../hash/types.js'
import { WorkerHasher } from '../hash/WorkerHasher.js'
import { followProcessing } from '../processing/followProcessing.js'
import { SpeedMeter } from '../progress/SpeedMeter.js'
import { defaultUrlStorage } from '../storage/defaultUrlStorage.js'
import { fingerprint } from '../storage/fingerprint.js'
import { trackStorageKey } from '../storage/trackStorageKey.js'
import type { FerryUrlStorage } from '../storage/types.js'
import { validateFile } from '../validation/validateFiles.js'
import { checksumHttpStack } from './checksumHttpStack.js'
import { chunkAlignedParts, type PartBoundary, sameParts } from './chunkAlignedParts.js'
import { discoverServer } from './discoverServer.js'
import { FileOffsets } from './FileOffsets.js'
import { retryableFinalCreation } from './retryableFinalCreation.js'
import { sendFinalizeRequest } from './sendFinalizeRequest.js'
import { StallWatchdog } from './StallWatchdog.js'
import { tusRetryOptions } from './tusRetry.js'
import {
  defaultUploadOptions,
  type UploadEvents,
  type UploadOptions,
  type UploadState,
} from './uploadOptions.js'
import {
  type Attempt,
  createAttempt,
  fromTusError,
  parseDescription,
  toFerryError,
  withoutUndefined,
} from './uploadResults.js'
import { isOnline, watchConnectivity } from './watchConnectivity.js'

export { defaultUploadOptions, type UploadEvents, type UploadOptions, type UploadState }

/** The body type of a PATCH, and of a creation that carries bytes. */
const TUS_CHUNK_MEDIA_TYPE = 'application/offset+octet-stream'

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
  #chunkDigests: ChunkDigests | undefined
  #hashAbort: AbortController | undefined
  /** Gives back the hash worker started ahead of hashing, if hashing does not come. */
  #unprepare: (() => void) | undefined
  #attempt: Attempt | undefined
  #storageKey: string | undefined
  #stalled = false
  #parallel = false
  /** With parallel uploads: the parts, whole chunks each, and where tus-js-client's slices start. */
  #parts: PartBoundary[] | undefined
  #offsets: FileOffsets | undefined
  #repeatableFinal = false
  /** The whole file goes in the creation request (tus creation-with-upload): one request, not two. */
  #sendWithCreation = false
  /**
   * Whether the completing request carries `Repr-Digest`: to a server that asked for it, or one
   * that could not be asked. A tus server that answered OPTIONS without asking (stock
   * @tus/server) would refuse the header from another origin, and would not check it anyway.
   */
  #sendDigest = true
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
    // Both before the lookups below: the server's answer and a started hash worker are what the
    // first PATCH waits for (its chunk's checksum), so they overlap the rest of the set-up.
    const discovery = discoverServer(this.options.endpoint, this.options.headers)
    // Once: a second set-up (paused and started again meanwhile) must not drop the first's release.
    if (!this.#digest) this.#unprepare ??= this.options.hasher.prepare?.()
    const storage = trackStorageKey(
      await (this.options.urlStorage ?? defaultUrlStorage()),
      (key) => (this.#storageKey = key),
      // Partial uploads resume only into the same parts: stored with them, compared below.
      (upload) => (this.#parts ? { ...upload, parallelUploadBoundaries: this.#parts } : upload),
    )
    // Asked once per page and endpoint: after the first upload this is an answer already there.
    const server = await discovery
    this.#parallel = this.options.parallelUploads > 1 && server.extensions.includes('concatenation')
    const { chunkSize } = this.options
    this.#parts =
      this.#parallel && Number.isSafeInteger(chunkSize)
        ? chunkAlignedParts(this.file.size, chunkSize, this.options.parallelUploads)
        : undefined
    this.#offsets = this.#parts ? new FileOffsets(this.file) : undefined
    // A file that fits in one chunk needs one request where the server takes bytes in the POST:
    // for a queue of small files, that halves the requests and the server's work per file.
    this.#sendWithCreation =
      !this.#parallel &&
      server.extensions.includes('creation-with-upload') &&
      this.file.size > 0 &&
      this.file.size <= this.options.chunkSize
    // Such a file has nothing to resume (an interrupted creation leaves no upload URL), so it
    // needs no fingerprint and no lookup: reading its head and IndexedDB cost each small file
    // of a queue more than its hash did.
    const fileFingerprint = this.#sendWithCreation
      ? undefined
      : await fingerprint(this.file, { endpoint: this.options.endpoint }).catch(() => undefined)
    const found = fileFingerprint ? (await storage.findUploadsByFingerprint(fileFingerprint))[0] : undefined
    // Partial uploads made with other parts (another chunk size or count, or an SDK that cut the
    // file evenly) would be joined into the wrong file: those start over instead.
    const previous = found?.parallelUploadUrls && !sameParts(partsOf(found), this.#parts) ? undefined : found
    if (previous) this.#storageKey = previous.urlStorageKey
    const checksums =
      this.options.chunkChecksums &&
      typeof crypto !== 'undefined' &&
      Boolean(crypto.subtle) &&
      server.extensions.includes('checksum') &&
      server.checksumAlgorithms.includes('sha256')
    // Asking for the file's SHA-256 marks the Ferry server, which answers a final's creation sent
    // again with the final the first one made. Another server may make a second final instead
    // (tusd keeps the partials), so there a lost answer stays an error, as tus-js-client has it.
    this.#repeatableFinal = this.#parallel && server.wantsSha256Digest
    this.#sendDigest = !server.answered || server.wantsSha256Digest
    if (!this.#digest) {
      const checkpoint = this.#storageKey ? await storage.loadHashState(this.#storageKey) : undefined
      this.#digest = this.#startHashing(storage, checkpoint, checksums)
      // A hashing failure must surface even while the upload is still sending bytes.
      this.#digest.catch((error: unknown) => this.#fail(toFerryError(error)))
    }
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
      ...(this.#parts && this.#offsets
        ? { parallelUploadBoundaries: this.#parts, fileReader: this.#offsets.fileReader }
        : {}),
      uploadDataDuringCreation: this.#sendWithCreation,
      ...this.#httpStack(checksums),
      fingerprint: async () => fileFingerprint ?? '',
      // Without a content fingerprint (no WebCrypto on plain http, or a file sent whole in its
      // creation) two files could be confused, and there is nothing to resume.
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

  /** tus-js-client's own stack unless chunk checksums or a repeatable final creation need more. */
  #httpStack(checksums: boolean): { httpStack?: HttpStack } {
    if (!checksums && !this.#repeatableFinal) return {}
    const stack = checksums ? this.#checksumHttpStack() : new DefaultHttpStack({})
    return { httpStack: this.#repeatableFinal ? retryableFinalCreation(stack) : stack }
  }

  /**
   * Chunk checksums from the hasher, which digests each chunk as it reads the file for the
   * whole-file hash; waiting for it is not a stall. With parallel uploads a PATCH's offset is
   * within its part, so the chunk's place in the file comes from the slices tus-js-client took.
   */
  #checksumHttpStack() {
    const chunkDigest = ({ body, offset }: { body: Blob; offset: number }) => {
      const start = this.#parallel ? this.#offsets?.startOf(body) : offset
      const pending = start === undefined ? undefined : this.#chunkDigests?.get(start, start + body.size)
      if (!pending) return undefined
      this.#watchdog.stop()
      return pending.finally(() => this.#watchdog.touch())
    }
    return checksumHttpStack({ httpStack: new DefaultHttpStack({}), chunkDigest })
  }

  #startHashing(
    storage: FerryUrlStorage,
    resumeFrom: HashCheckpoint | undefined,
    withChunkDigests: boolean,
  ): Promise<Uint8Array> {
    this.#hashAbort = new AbortController()
    this.#unprepare = undefined // the digest below takes what was prepared
    this.#digestSettled = false
    this.#chunkDigests?.stop()
    const { chunkSize } = this.options
    // Parallel parts are whole chunks (chunkAlignedParts), so their chunks are the hasher's too.
    const chunkDigests =
      withChunkDigests && this.options.hasher.digestsChunks && Number.isSafeInteger(chunkSize)
        ? new ChunkDigests({ chunkSize, fileSize: this.file.size, from: resumeFrom?.offset ?? 0 })
        : undefined
    this.#chunkDigests = chunkDigests
    const bytesTotal = this.file.size
    const digest = this.options.hasher.digest(this.file, {
      signal: this.#hashAbort.signal,
      ...(resumeFrom ? { resumeFrom } : {}),
      ...(chunkDigests ? { chunkDigests: { chunkSize, onChunk: (chunk) => chunkDigests.add(chunk) } } : {}),
      onProgress: (bytesHashed) => this.emit('hash-progress', { bytesHashed, bytesTotal }),
      onCheckpoint: ({ state, offset }) => {
        if (this.#storageKey) void storage.saveHashState(this.#storageKey, state, offset).catch(() => {})
      },
    })
    digest.then(
      () => (this.#digestSettled = true),
      () => {},
    )
    // Whatever the hasher did not digest by the time it stopped is digested by the HTTP stack.
    digest.finally(() => chunkDigests?.stop()).catch(() => {})
    return digest
  }

  /**
   * The request that completes the upload carries the digest, waiting for hashing if needed: the
   * PATCH that writes the last byte, the creation that carries the whole file, or with parallel
   * uploads the creation of the final upload.
   */
  async #attachDigestToFinalPatch(request: HttpRequest): Promise<void> {
    if (!this.#digest || !this.#sendDigest) return
    if (this.#parallel) {
      if (request.getMethod() !== 'POST' || !request.getHeader('Upload-Concat')?.startsWith('final')) return
    } else if (request.getMethod() === 'POST') {
      if (!this.#sendWithCreation || request.getHeader('Content-Type') !== TUS_CHUNK_MEDIA_TYPE) return
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
    if (!this.#sendDigest) return this.#describeUnverified(url, digest)
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
    followProcessing(eventsUrl, {
      headers: this.options.headers,
      onEvent: (event) => this.emit('processing', event),
    }).then(
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
    this.#unprepare?.()
    this.#unprepare = undefined
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

/** The parts a stored parallel upload was cut into, if the storage kept them. */
function partsOf(upload: object): PartBoundary[] | undefined {
  const parts = (upload as { parallelUploadBoundaries?: unknown }).parallelUploadBoundaries
  return Array.isArray(parts) ? (parts as PartBoundary[]) : undefined
}
