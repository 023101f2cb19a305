import type { FileDescription } from '@ferry/protocol'
import type { FerryError } from '../errors.js'
import type { UploadEvents, UploadState } from '../upload/FerryUpload.js'
import type { UploaderProgress } from './ProgressTotals.js'
import type { QueuedFile, QueuedFileState } from './QueuedFile.js'

/** What the `Uploader` needs of one file's upload; `FerryUpload` is one. */
export interface QueueableUpload {
  readonly state: UploadState
  readonly url: string | null
  start(): Promise<FileDescription>
  pause(): Promise<void>
  cancel(): Promise<void>
  on<Name extends keyof UploadEvents>(
    name: Name,
    listener: (payload: UploadEvents[Name]) => void,
  ): unknown
}

/** Options of one `add()` call, applying to every file it adds. */
export interface AddOptions {
  /**
   * Higher goes first; equal priorities go in the order added.
   * @default 0
   */
  priority?: number
  /**
   * Upload-Metadata for these files, over the `metadata` option of the `Uploader`.
   * @default {}
   */
  metadata?: Record<string, string>
}

/** Every file of the queue once it has settled, by outcome, each list in the order added. */
export interface UploaderResult {
  succeeded: QueuedFile[]
  failed: QueuedFile[]
  cancelled: QueuedFile[]
}

/** Events of an `Uploader`, for `on` and `off`. */
export interface UploaderEvents {
  'file-added': QueuedFile
  'file-state': { file: QueuedFile; state: QueuedFileState }
  'file-progress': { file: QueuedFile } & UploadEvents['progress']
  'file-success': { file: QueuedFile; result: FileDescription }
  /** Validation refused the file, its upload failed, or following its processing failed. */
  'file-error': { file: QueuedFile; error: FerryError }
  /** The whole queue, at most once per `progressInterval`, and once more before `idle`. */
  progress: UploaderProgress
  /** Every file has settled (done, failed or cancelled). */
  idle: UploaderResult
}
