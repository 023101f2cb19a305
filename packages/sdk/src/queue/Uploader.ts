/**
 * Design note. Everything the queue does per event is O(1) or O(log n), so a thousand files cost
 * what ten do: the `Scheduler` keeps waiting files in a heap, totals change by differences, and
 * the queue's `progress` event is throttled. Entries are created at once; the `FerryUpload` of a
 * file only when it starts.
 */
import type { FileDescription } from '@ferry/protocol'
import { FerryError } from '../errors.js'
import { Emitter } from '../events/Emitter.js'
import type { UploadEvents, UploadOptions, UploadState } from '../upload/FerryUpload.js'
import { ProgressTotals } from './ProgressTotals.js'
import { Scheduler } from './Scheduler.js'
import {
  FileEntry,
  groupByOutcome,
  isSettled,
  type EntryHost,
  type QueuedFile,
  type QueuedFileState,
} from './QueuedFile.js'
import { type Throttle, throttle } from './throttle.js'
import type { AddOptions, QueueableUpload, UploaderEvents, UploaderResult } from './types.js'
import {
  type defaultUploaderOptions,
  resolveUploaderOptions,
  type UploaderOptions,
} from './uploaderOptions.js'
import { validateEntries } from './validateEntries.js'
import { watchUpload } from './watchUpload.js'

/**
 * Uploads many files, at most `concurrency` at a time, highest priority first. Each file is a
 * `FerryUpload` with the shared options; the queue validates every batch (including `maxFiles`
 * across batches) before any byte is sent, and `done()` resolves with every file's outcome.
 *
 * @example
 * const uploader = new Uploader({ endpoint: '/files/', validation: { maxFiles: 20 } })
 * uploader.on('progress', ({ bytesUploaded, bytesTotal }) => render(bytesUploaded / bytesTotal))
 * uploader.add(input.files)
 * const { succeeded, failed } = await uploader.done()
 */
export class Uploader extends Emitter<UploaderEvents> {
  readonly #options: typeof defaultUploaderOptions
  readonly #uploadOptions: UploadOptions
  readonly #entries: FileEntry[] = []
  readonly #scheduler: Scheduler
  readonly #totals = new ProgressTotals()
  readonly #progress: Throttle
  readonly #host: EntryHost
  readonly #waiters: Array<(result: UploaderResult) => void> = []
  #unsettled = 0
  /** Files accepted by validation and not cancelled: what `maxFiles` counts. */
  #accepted = 0
  #validation: Promise<void> = Promise.resolve()
  #idle = true

  constructor(options: UploaderOptions) {
    super()
    const { queue, upload } = resolveUploaderOptions(options)
    this.#options = queue
    this.#uploadOptions = upload
    this.#scheduler = new Scheduler({
      concurrency: this.#options.concurrency,
      running: this.#options.autoStart,
      start: (entry) => this.#startUpload(entry),
      afterRound: () => {
        if (this.#unsettled === 0 && !this.#idle) this.#becomeIdle()
      },
    })
    const emitProgress = () => this.emit('progress', this.#totals.snapshot())
    this.#progress = throttle(emitProgress, this.#options.progressInterval)
    this.#host = {
      scheduler: this.#scheduler,
      setState: (entry, state) => this.#setState(entry, state),
    }
  }

  /** Every file added, in the order added. */
  get files(): readonly QueuedFile[] {
    return this.#entries
  }

  /**
   * Queues files and returns their entries at once, in state `validating`. Each batch is then
   * validated, in the order of `add()` calls; refused files end `failed` with their error.
   */
  add(files: Iterable<Blob> | FileList, options: AddOptions = {}): QueuedFile[] {
    const { priority = 0, metadata = {} } = options
    const host = this.#host
    const batch = Array.from(files as Iterable<Blob>, (file) => {
      const order = this.#entries.length
      const id = `file-${order}`
      const entry = new FileEntry({ id, file, priority, order, metadata, host })
      this.#entries.push(entry)
      return entry
    })
    if (batch.length > 0) this.#idle = false
    for (const entry of batch) {
      this.#unsettled += 1
      this.#totals.addFile(entry.file.size)
      this.emit('file-added', entry)
    }
    this.#progress.request()
    this.#validation = this.#validation.then(() => this.#admit(batch))
    return batch
  }

  /** Starts sending, when `autoStart` was false. */
  start(): void {
    this.#scheduler.running = true
    this.#scheduler.schedule()
  }

  /** Pauses every uploading file and starts no other until `resume()`. */
  pause(): void {
    this.#scheduler.running = false
    this.#totals.resetSpeed()
    for (const entry of [...this.#scheduler.holders]) entry.pause()
  }

  /** Puts every paused file back in the queue and starts sending again. */
  resume(): void {
    this.#scheduler.running = true
    for (const entry of this.#entries) entry.resume()
    this.#scheduler.schedule()
  }

  /** Cancels every file that has not settled, deleting what the server holds of each. */
  async cancel(): Promise<void> {
    const pending = this.#entries.filter((entry) => !isSettled(entry.state))
    await Promise.all(pending.map((entry) => entry.cancel()))
  }

  /** Resolves once every file is done, failed or cancelled; never rejects. */
  done(): Promise<UploaderResult> {
    if (this.#unsettled === 0) return Promise.resolve(groupByOutcome(this.#entries))
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  async #admit(batch: FileEntry[]): Promise<void> {
    const pending = batch.filter((entry) => entry.state === 'validating')
    const rules = this.#uploadOptions.validation ?? {}
    const alreadyQueued = this.#accepted
    const { accepted, rejected } = await validateEntries(pending, { rules, alreadyQueued })
    for (const entry of accepted) {
      if (entry.state !== 'validating') continue // cancelled meanwhile
      entry.counted = true
      this.#accepted += 1
      if (!entry.pauseRequested) this.#scheduler.enqueue(entry)
      this.#setState(entry, entry.pauseRequested ? 'paused' : 'queued')
    }
    for (const { entry, error } of rejected) {
      if (entry.state === 'validating') this.#fail(entry, error)
    }
    this.#scheduler.schedule()
  }

  #startUpload(entry: FileEntry): void {
    entry.awaitingFirstProgress = true
    try {
      const upload = (entry.upload ??= this.#createUpload(entry))
      this.#setState(entry, 'uploading')
      // The outcome arrives as events; the promise would only repeat it.
      upload.start().catch(() => {})
    } catch (error) {
      const message = 'the upload could not be started'
      const failure = new FerryError(message, { code: 'invalid-option', cause: error })
      this.#fail(entry, error instanceof FerryError ? error : failure)
    }
  }

  #createUpload(entry: FileEntry): QueueableUpload {
    const metadata = { ...this.#uploadOptions.metadata, ...entry.metadata }
    const upload = this.#options.createUpload(entry.file, { ...this.#uploadOptions, metadata })
    watchUpload(upload, {
      state: (state) => this.#onUploadState(entry, state),
      progress: (progress) => this.#onUploadProgress(entry, progress),
      success: (result, state) => this.#onUploadSuccess(entry, result, state),
      failure: (error) => {
        if (!isSettled(entry.state)) this.#fail(entry, error)
      },
      processingError: (error) => {
        if (entry.state === 'cancelled') return
        entry.error = error
        this.emit('file-error', { file: entry, error })
      },
    })
    return upload
  }

  #onUploadState(entry: FileEntry, state: UploadState): void {
    if (isSettled(entry.state)) return
    // An upload may carry on by itself (back online, a stall restarted): not while the caller has
    // paused its file, nor while the file waits for a slot (it was paused, then resumed while the
    // slots were taken), which would send more files at once than `concurrency`.
    const waiting = entry.state === 'queued'
    if ((entry.pauseRequested || waiting) && (state === 'uploading' || state === 'retrying')) {
      return void entry.upload?.pause()
    }
    // The pause that follows is the queue's, not one of the upload's own that keeps its slot.
    if (waiting && state === 'paused') return
    this.#setState(entry, state)
  }

  #onUploadProgress(entry: FileEntry, progress: UploadEvents['progress']): void {
    if (isSettled(entry.state)) return
    const delta = progress.bytesUploaded - entry.bytesUploaded
    this.#totals.advance(delta, { sent: !entry.awaitingFirstProgress })
    entry.awaitingFirstProgress = false
    entry.bytesUploaded = progress.bytesUploaded
    this.emit('file-progress', { file: entry, ...progress })
    this.#progress.request()
  }

  #onUploadSuccess(entry: FileEntry, result: FileDescription, state: 'processing' | 'done'): void {
    if (isSettled(entry.state)) return
    entry.result = result
    this.#totals.advance(entry.file.size - entry.bytesUploaded, { sent: false })
    entry.bytesUploaded = entry.file.size
    this.#setState(entry, state)
    this.emit('file-success', { file: entry, result })
  }

  #fail(entry: FileEntry, error: FerryError): void {
    entry.error = error
    this.#setState(entry, 'failed')
    this.emit('file-error', { file: entry, error })
  }

  #setState(entry: FileEntry, state: QueuedFileState): void {
    if (entry.state === state) return
    const settles = !isSettled(entry.state) && isSettled(state)
    entry.state = state
    if (settles) this.#settle(entry)
    this.#scheduler.refresh(entry)
    this.emit('file-state', { file: entry, state })
  }

  #settle(entry: FileEntry): void {
    this.#unsettled -= 1
    this.#scheduler.withdraw(entry)
    if (entry.state === 'cancelled' && entry.counted) this.#accepted -= 1
    const { size } = entry.file
    const succeeded = entry.state === 'done'
    this.#totals.settleFile({ size, bytesUploaded: entry.bytesUploaded, succeeded })
    this.#progress.request()
  }

  #becomeIdle(): void {
    this.#idle = true
    this.#progress.flush()
    const result = groupByOutcome(this.#entries)
    // Taken first: a listener that adds files and calls done() waits for those files.
    const waiters = this.#waiters.splice(0)
    this.emit('idle', result)
    for (const resolve of waiters) resolve(result)
  }
}
