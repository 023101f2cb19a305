import {
  DIGEST_HEADER,
  FILE_DESCRIPTION_MEDIA_TYPE,
  type FileDescription,
  formatSha256Digest,
  METADATA_KEYS,
} from '@ferry/protocol'
import { type DetailedError, type HttpRequest, type HttpResponse, Upload as TusUpload } from 'tus-js-client'
import { FerryError, errorFromResponse } from '../errors.js'
import { Emitter } from '../events/Emitter.js'
import type { Hasher } from '../hash/types.js'
import { WorkerHasher } from '../hash/WorkerHasher.js'
import { sendFinalizeRequest } from './sendFinalizeRequest.js'

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
   * Delays in milliseconds before each retry of a failed request; `[]` disables retries.
   * @default [0, 1000, 3000, 5000, 10000]
   */
  retryDelays?: number[]
  /**
   * Computes the whole-file SHA-256 that the server verifies.
   * @default new WorkerHasher()
   */
  hasher?: Hasher
}

export const defaultUploadOptions = {
  chunkSize: 8 * 1024 * 1024,
  metadata: {} as Record<string, string>,
  headers: {} as Record<string, string>,
  retryDelays: [0, 1000, 3000, 5000, 10_000],
}

export type UploadState = 'idle' | 'uploading' | 'verifying' | 'done' | 'failed' | 'paused'

/** Events of a `FerryUpload`, for `on` and `off`. */
export interface UploadEvents {
  progress: { bytesUploaded: number; bytesTotal: number }
  'hash-progress': { bytesHashed: number; bytesTotal: number }
  state: UploadState
  success: FileDescription
  error: FerryError
}

/**
 * One file's upload: tus in chunks, with its SHA-256 computed in a Worker at the same time and
 * sent on the request that completes the upload, where the server checks it against the bytes it
 * stored. `start()` resolves with the server's description of the stored file.
 *
 * @example
 * const upload = new FerryUpload(file, { endpoint: '/files/' })
 * upload.on('progress', ({ bytesUploaded, bytesTotal }) => render(bytesUploaded / bytesTotal))
 * const stored = await upload.start()
 */
export class FerryUpload extends Emitter<UploadEvents> {
  readonly file: Blob
  readonly options: Required<UploadOptions>
  #state: UploadState = 'idle'
  #tus: TusUpload | undefined
  #digest: Promise<Uint8Array> | undefined
  #digestSettled = false
  #hashAbort: AbortController | undefined
  #attempt: Attempt | undefined

  constructor(file: Blob, options: UploadOptions) {
    super()
    this.file = file
    this.options = {
      ...defaultUploadOptions,
      ...withoutUndefined(options),
      endpoint: options.endpoint,
      hasher: options.hasher ?? new WorkerHasher(),
    }
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
    if (this.#state === 'uploading' || this.#state === 'verifying') return this.#attempt!.promise
    if (this.#state === 'done') return this.#attempt!.promise
    if (!this.#attempt || this.#state === 'failed') this.#attempt = createAttempt()
    this.#digest ??= this.#startHashing()
    const attempt = this.#attempt
    // A hashing failure must surface even while the upload is still sending bytes.
    this.#digest.catch((error: unknown) => this.#fail(toFerryError(error)))
    const tus = this.#createTusUpload()
    this.#tus = tus
    this.#setState('uploading')
    tus
      .findPreviousUploads()
      .then((previous) => {
        if (previous[0]) tus.resumeFromPreviousUpload(previous[0])
        tus.start()
      })
      .catch((error: unknown) => this.#fail(toFerryError(error)))
    return attempt.promise
  }

  /** Stops sending; `start()` continues from the server's offset. Hashing carries on meanwhile. */
  async pause(): Promise<void> {
    if (this.#state !== 'uploading') return
    this.#setState('paused')
    await this.#tus?.abort(false)
  }

  #createTusUpload(): TusUpload {
    const { endpoint, chunkSize, headers, retryDelays } = this.options
    const fileInfo = this.file as Partial<File>
    return new TusUpload(this.file, {
      endpoint,
      chunkSize,
      headers,
      retryDelays,
      metadata: {
        [METADATA_KEYS.name]: fileInfo.name ?? 'blob',
        [METADATA_KEYS.type]: this.file.type || 'application/octet-stream',
        ...this.options.metadata,
      },
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onBeforeRequest: (request) => this.#attachDigestToFinalPatch(request),
      onProgress: (bytesUploaded, bytesTotal) => this.emit('progress', { bytesUploaded, bytesTotal }),
      onSuccess: ({ lastResponse }) => {
        this.#finish(lastResponse).then(
          (file) => {
            this.#setState('done')
            this.emit('success', file)
            this.#attempt?.resolve(file)
          },
          (error: unknown) => this.#fail(toFerryError(error)),
        )
      },
      onError: (error) => this.#fail(fromTusError(error)),
    })
  }

  #startHashing(): Promise<Uint8Array> {
    this.#hashAbort = new AbortController()
    this.#digestSettled = false
    const bytesTotal = this.file.size
    const digest = this.options.hasher.digest(this.file, {
      signal: this.#hashAbort.signal,
      onProgress: (bytesHashed) => this.emit('hash-progress', { bytesHashed, bytesTotal }),
    })
    digest.then(
      () => (this.#digestSettled = true),
      () => {},
    )
    return digest
  }

  /** The request that writes the last byte carries the digest; it waits for hashing if needed. */
  async #attachDigestToFinalPatch(request: HttpRequest): Promise<void> {
    if (request.getMethod() !== 'PATCH' || !this.#digest) return
    const offset = Number(request.getHeader('Upload-Offset'))
    if (offset + this.options.chunkSize < this.file.size) return
    this.#setState('verifying')
    request.setHeader(DIGEST_HEADER, formatSha256Digest(await this.#digest))
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
    const response = await sendFinalizeRequest({
      url,
      size: this.file.size,
      digest: formatSha256Digest(await this.#digest),
      headers: this.options.headers,
    })
    if (response.status < 200 || response.status >= 300) {
      throw errorFromResponse(response, 'the server refused to finish the upload')
    }
    return parseDescription(response.body, response.status)
  }

  #fail(error: FerryError): void {
    if (this.#state === 'failed' || this.#state === 'done') return
    if (!this.#digestSettled) {
      // An unfinished hash is abandoned; a later start() hashes again from the beginning.
      this.#hashAbort?.abort()
      this.#digest = undefined
    }
    void this.#tus?.abort(false)
    this.#setState('failed')
    this.emit('error', error)
    this.#attempt?.reject(error)
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
