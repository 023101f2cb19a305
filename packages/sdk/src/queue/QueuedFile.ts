import type { FileDescription } from '@ferry/protocol'
import type { FerryError } from '../errors.js'
import type { UploadState } from '../upload/FerryUpload.js'
import type { Scheduler } from './Scheduler.js'
import type { QueueableUpload, UploaderResult } from './types.js'

/**
 * Where a file stands in an `Uploader`: `validating` until its batch has been checked (before any
 * byte is sent), `queued` while it waits for a free slot, then the states of its upload.
 */
export type QueuedFileState = 'validating' | 'queued' | UploadState

/**
 * One file of an `Uploader`, with its own controls.
 *
 * @example
 * const [entry] = uploader.add([file])
 * entry.setPriority(10)
 * cancelButton.onclick = () => entry.cancel()
 */
export interface QueuedFile {
  /** Unique within its `Uploader`, in the order files were added. */
  readonly id: string
  readonly file: Blob
  readonly state: QueuedFileState
  /** Higher goes first; files of equal priority go in the order they were added. */
  readonly priority: number
  /** Bytes the server has acknowledged. */
  readonly bytesUploaded: number
  /** The upload URL, once the server has created the upload. */
  readonly url: string | null
  /** The server's description of the stored file, once it has been stored. */
  readonly result: FileDescription | undefined
  /** Why validation refused the file or its upload failed. */
  readonly error: FerryError | undefined
  /**
   * Stops sending and frees the file's slot; `resume()` puts it back in the queue. A file that
   * is hashing, verifying or processing finishes regardless.
   */
  pause(): void
  /** Puts a file paused with `pause()` back in the queue; it starts when the queue runs. */
  resume(): void
  /** Stops the file for good and deletes what the server holds of it (even once stored). */
  cancel(): Promise<void>
  /** Changes the file's place among the files still waiting. */
  setPriority(priority: number): void
}

/** What a file's controls act on: the `Uploader`'s scheduler and its record of states. */
export interface EntryHost {
  readonly scheduler: Scheduler
  setState(entry: FileEntry, state: QueuedFileState): void
}

export interface FileEntryOptions {
  id: string
  file: Blob
  priority: number
  /** Position in the order of adding: the tie-breaker between equal priorities. */
  order: number
  metadata: Record<string, string>
  host: EntryHost
}

/** The `Uploader`'s own view of a `QueuedFile`: the same object, with its fields writable. */
export class FileEntry implements QueuedFile {
  readonly id: string
  readonly file: Blob
  readonly order: number
  readonly metadata: Record<string, string>
  state: QueuedFileState = 'validating'
  priority: number
  bytesUploaded = 0
  result: FileDescription | undefined
  error: FerryError | undefined
  upload: QueueableUpload | undefined
  /** Paused by the caller, as opposed to paused by its upload while offline or stalled. */
  pauseRequested = false
  /** Accepted by validation: counts against `maxFiles` until cancelled. */
  counted = false
  /** The next progress report is the first since `start()`: it may include earlier sessions. */
  awaitingFirstProgress = false
  readonly #host: EntryHost

  constructor({ id, file, priority, order, metadata, host }: FileEntryOptions) {
    this.id = id
    this.file = file
    this.priority = priority
    this.order = order
    this.metadata = metadata
    this.#host = host
  }

  get url(): string | null {
    return this.upload?.url ?? null
  }

  pause(): void {
    if (isSettled(this.state) || this.pauseRequested) return
    this.pauseRequested = true
    const { scheduler, setState } = this.#host
    if (this.state === 'validating') return // it is paused when accepted
    if (this.state === 'queued') {
      scheduler.withdraw(this)
      return setState(this, 'paused')
    }
    // Only sending pauses; hashing, verifying and processing finish regardless. Decided from the
    // state before the call: an upload of one's own (`createUpload`) may pause after an await.
    const sending = this.state === 'uploading' || this.state === 'retrying' || this.state === 'paused'
    void this.upload?.pause()
    if (!sending) this.pauseRequested = false
    scheduler.refresh(this)
  }

  resume(): void {
    if (!this.pauseRequested) return
    this.pauseRequested = false
    if (this.state !== 'paused') return // still validating: it is queued when accepted
    this.#host.scheduler.enqueue(this)
    this.#host.setState(this, 'queued')
  }

  async cancel(): Promise<void> {
    if (isSettled(this.state)) return
    this.pauseRequested = false
    this.#host.setState(this, 'cancelled')
    await this.upload?.cancel()
  }

  setPriority(priority: number): void {
    this.priority = priority
    this.#host.scheduler.reprioritize(this)
  }

  /** Comes out of the queue before `other`: higher priority, then earlier added. */
  static before(entry: FileEntry, other: FileEntry): boolean {
    if (entry.priority !== other.priority) return entry.priority > other.priority
    return entry.order < other.order
  }
}

/** Whether a file has reached its end: done, failed or cancelled. */
export function isSettled(state: QueuedFileState): boolean {
  return state === 'done' || state === 'failed' || state === 'cancelled'
}

/** The settled files by outcome, each list in the order given. */
export function groupByOutcome(entries: Iterable<QueuedFile>): UploaderResult {
  const result: UploaderResult = { succeeded: [], failed: [], cancelled: [] }
  for (const entry of entries) {
    if (entry.state === 'done') result.succeeded.push(entry)
    else if (entry.state === 'failed') result.failed.push(entry)
    else if (entry.state === 'cancelled') result.cancelled.push(entry)
  }
  return result
}
