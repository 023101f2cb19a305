import type { FileDescription, ProcessingEvent, ProcessingManifest } from '@ferry/protocol'
import type { FerryError } from '../errors.js'
import type { Hasher } from '../hash/types.js'
import type { BackoffOptions } from '../retry/backoff.js'
import type { FerryUrlStorage } from '../storage/types.js'
import type { ValidationRules } from '../validation/validateFiles.js'
import type { RetryEvent } from './tusRetry.js'

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
   * Computes the whole-file SHA-256 that the server verifies. One whose `digestsChunks` is true
   * (the default one) also provides each chunk's `Upload-Checksum`, so the file is read once.
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
