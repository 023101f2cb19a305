/*
 * Design: one lane per job type, each a waiting list kept sorted by (priority, arrival) and a
 * count of running jobs; a lane starts jobs while it is under its type's concurrency. `pending`
 * holds every id that is waiting, waiting for a retry or running, which is what `add()` dedupes
 * on. Nothing is persisted: after a crash the caller re-adds jobs from its manifest.
 */
import { describeError, isRetryable, QueueError } from './errors.js'
import { createListenerSet } from './listenerSet.js'
import { checkJob, resolveQueueOptions } from './resolveOptions.js'
import { runAttempt } from './runAttempt.js'
import { settleWithin } from './settleWithin.js'
import {
  JOB_TYPES,
  type JobEvent,
  type JobQueue,
  type JobRunner,
  type JobType,
  type ProcessingJob,
  type QueueOptions,
} from './types.js'

interface Entry {
  job: ProcessingJob
  priority: number
  attempt: number
}

interface Lane {
  waiting: Entry[]
  running: number
}

/**
 * An in-process job queue with no dependencies: per-type concurrency, priorities, retries with
 * exponential backoff and a timeout per attempt. For a single server process, and for tests.
 * @example
 * const queue = createEmbeddedQueue({ attempts: 5 })
 * queue.subscribe((event) => logger.info(event))
 * await queue.consume(async (job, { signal }) => runStep(job, signal))
 * await queue.add({ id: `${fileId}:thumbnails`, fileId, type: 'thumbnails', options: {} })
 */
export function createEmbeddedQueue(options: Partial<QueueOptions> = {}): JobQueue {
  const settings = resolveQueueOptions(options)
  const listeners = createListenerSet(settings)
  const lanes = createLanes()
  const pending = new Set<string>()
  const running = new Set<Promise<void>>()
  const retryTimers = new Set<NodeJS.Timeout>()
  const closing = new AbortController()
  let runner: JobRunner | undefined
  let closed: Promise<void> | undefined
  // Set once the grace period is over: late results are dropped and no event is emitted.
  let stopped = false

  const emit = (event: JobEvent): void => {
    if (!stopped) listeners.emit(event)
  }

  // Behind every entry of the same or a higher priority: FIFO among equals.
  function enqueue(entry: Entry): void {
    const { waiting } = lanes[entry.job.type]
    const index = waiting.findIndex((other) => other.priority > entry.priority)
    if (index === -1) waiting.push(entry)
    else waiting.splice(index, 0, entry)
  }

  function pump(type: JobType): void {
    const lane = lanes[type]
    while (runner && !closed && lane.running < settings.concurrency[type]) {
      const entry = lane.waiting.shift()
      if (!entry) return
      lane.running += 1
      const run = runEntry(runner, entry).finally(() => {
        lane.running -= 1
        running.delete(run)
        pump(type)
      })
      running.add(run)
    }
  }

  // Never rejects: every outcome becomes an event.
  async function runEntry(jobRunner: JobRunner, entry: Entry): Promise<void> {
    const { job, attempt } = entry
    emit({ type: 'started', job, attempt })
    try {
      const { timeoutMs } = settings
      await runAttempt({ runner: jobRunner, job, attempt, timeoutMs, signals: [closing.signal] })
      if (stopped) return
      pending.delete(job.id)
      emit({ type: 'completed', job, attempt })
    } catch (error) {
      if (!stopped) settleFailure(entry, describeError(error), isRetryable(error))
    }
  }

  function settleFailure(entry: Entry, error: string, retryable: boolean): void {
    const { job, attempt } = entry
    if (!retryable || attempt >= settings.attempts) {
      pending.delete(job.id)
      emit({ type: 'failed', job, attempt, error })
      return
    }
    const delayMs = settings.backoffMs * 2 ** (attempt - 1)
    emit({ type: 'retrying', job, attempt, error, delayMs })
    if (closed) {
      // Failed during the grace period: the retry is the next start's, when the caller re-adds it.
      pending.delete(job.id)
      return
    }
    const timer = setTimeout(() => {
      retryTimers.delete(timer)
      enqueue({ ...entry, attempt: attempt + 1 })
      pump(job.type)
    }, delayMs)
    retryTimers.add(timer)
  }

  async function shutDown(): Promise<void> {
    for (const timer of retryTimers) clearTimeout(timer)
    retryTimers.clear()
    for (const type of JOB_TYPES) lanes[type].waiting.length = 0
    await settleWithin(running, settings.closeGraceMs)
    stopped = true
    pending.clear()
    closing.abort(new QueueError('closed', 'the job queue closed before the job finished'))
  }

  return {
    async add(job) {
      const priority = checkJob(job)
      if (closed) throw new QueueError('closed', `cannot add job ${job.id}: the queue is closed`)
      if (pending.has(job.id)) return
      pending.add(job.id)
      enqueue({ job, priority, attempt: 1 })
      // Deferred, so a listener that adds a job sees that job's events after the current one.
      queueMicrotask(() => pump(job.type))
    },
    async consume(jobRunner) {
      if (closed) throw new QueueError('closed', 'cannot consume: the queue is closed')
      if (runner) throw new QueueError('already-consuming', 'consume() was already called')
      runner = jobRunner
      for (const type of JOB_TYPES) pump(type)
    },
    subscribe: (listener) => listeners.add(listener),
    close() {
      closed ??= shutDown()
      return closed
    },
  }
}

function createLanes(): Record<JobType, Lane> {
  const lanes = {} as Record<JobType, Lane>
  for (const type of JOB_TYPES) lanes[type] = { waiting: [], running: 0 }
  return lanes
}

