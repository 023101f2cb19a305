import { PriorityHeap } from './PriorityHeap.js'
import { FileEntry, type QueuedFileState } from './QueuedFile.js'

const ACTIVE: ReadonlySet<QueuedFileState> = new Set([
  'uploading',
  'retrying',
  'hashing',
  'verifying',
])

export interface SchedulerOptions {
  /** Most files holding a slot at once. */
  concurrency: number
  /** Whether to start files at all; `running` can be changed later. */
  running: boolean
  /** Starts a file taken from the queue; it holds a slot (or has settled) when this returns. */
  start: (entry: FileEntry) => void
  /** Called after every round of scheduling, for example to notice that all work is done. */
  afterRound: () => void
}

/**
 * Decides which file starts next: the waiting files in a heap (highest priority, then first
 * added), the files holding a slot in a set. A round runs in a microtask after any change, so a
 * burst of changes schedules once. A file paused by its own upload (offline, or restarting a
 * stalled request) keeps its slot because it will carry on by itself; one paused by the caller
 * gives it up.
 *
 * @example
 * const scheduler = new Scheduler({ concurrency: 3, running: true, start, afterRound })
 * scheduler.enqueue(entry)
 */
export class Scheduler {
  running: boolean
  readonly #options: SchedulerOptions
  readonly #waiting = new PriorityHeap<FileEntry>({ before: FileEntry.before })
  readonly #holders = new Set<FileEntry>()
  #roundQueued = false

  constructor(options: SchedulerOptions) {
    this.#options = options
    this.running = options.running
  }

  /** The files holding a slot. */
  get holders(): ReadonlySet<FileEntry> {
    return this.#holders
  }

  enqueue(entry: FileEntry): void {
    this.#waiting.push(entry)
    this.schedule()
  }

  withdraw(entry: FileEntry): void {
    this.#waiting.remove(entry)
  }

  /** The entry's priority has changed. */
  reprioritize(entry: FileEntry): void {
    this.#waiting.update(entry)
  }

  /** The entry's state, or whether the caller paused it, has changed: take or free its slot. */
  refresh(entry: FileEntry): void {
    const holds = ACTIVE.has(entry.state) || (entry.state === 'paused' && !entry.pauseRequested)
    if (holds) this.#holders.add(entry)
    else this.#holders.delete(entry)
    this.schedule()
  }

  schedule(): void {
    if (this.#roundQueued) return
    this.#roundQueued = true
    queueMicrotask(() => this.#round())
  }

  #round(): void {
    this.#roundQueued = false
    while (this.running && this.#holders.size < this.#options.concurrency) {
      const entry = this.#waiting.pop()
      if (!entry) break
      this.#options.start(entry)
    }
    this.#options.afterRound()
  }
}
