import { type Job, type RedisOptions, UnrecoverableError, WaitingError, Worker } from 'bullmq'
import { describeError, isRetryable } from './errors.js'
import { runAttempt } from './runAttempt.js'
import type { JobEvent, JobRunner, ProcessingJob } from './types.js'

/** One BullMQ Worker, for the queue of one job type. */
export interface TypeWorkerOptions {
  /** The per-type BullMQ queue, e.g. `ferry-processing-thumbnails`. */
  queueName: string
  connection: RedisOptions
  concurrency: number
  timeoutMs: number
  runner: JobRunner
  /** Aborted when the grace period of `close()` is over. */
  closing: AbortSignal
  /** Sends a job event to every subscriber; must not throw. */
  publish: (event: JobEvent) => void
  onError: (error: Error) => void
}

/**
 * Starts a Worker that runs `runner` for each job of its queue, with a timeout per attempt, and
 * publishes the job events: `started` when BullMQ hands out the job, `retrying` before a failed
 * attempt goes back to BullMQ, `completed` and `failed` once BullMQ has recorded the outcome (so a
 * subscriber may re-add the id as soon as it hears of it).
 * @example
 * const worker = createTypeWorker({ queueName, connection, concurrency: 3, timeoutMs, runner,
 *   closing: controller.signal, publish, onError })
 */
export function createTypeWorker(options: TypeWorkerOptions): Worker<ProcessingJob> {
  const { queueName, connection, concurrency, timeoutMs, runner, closing, publish } = options

  async function processJob(job: Job<ProcessingJob>, token?: string, signal?: AbortSignal) {
    // BullMQ aborts its signal when the job is cancelled or its lock is lost.
    const signals = signal ? [closing, signal] : [closing]
    const attempt = job.attemptsMade + 1
    try {
      await runAttempt({ runner, job: job.data, attempt, timeoutMs, signals })
    } catch (error) {
      if (closing.aborted && token !== undefined) {
        // Cut short by close(): back to waiting without spending an attempt, for the next worker.
        await job.moveToWait(token)
        throw new WaitingError()
      }
      if (!isRetryable(error)) {
        // BullMQ fails an UnrecoverableError at once, whatever attempts remain.
        throw new UnrecoverableError(describeError(error))
      }
      if (attempt < (job.opts.attempts ?? 1)) {
        // Published before BullMQ schedules the retry, so it cannot arrive after the retry's
        // `started` (the worker's own 'failed' event can, when the event loop is busy).
        const delayMs = retryDelay(job, attempt)
        publish({ type: 'retrying', job: job.data, attempt, error: describeError(error), delayMs })
      }
      throw error
    }
  }

  const worker = new Worker<ProcessingJob>(queueName, processJob, { connection, concurrency })
  worker.on('error', options.onError)
  worker.on('active', (job) => {
    publish({ type: 'started', job: job.data, attempt: job.attemptsMade + 1 })
  })
  worker.on('completed', (job) => {
    // moveToCompleted has counted the attempt by now.
    publish({ type: 'completed', job: job.data, attempt: job.attemptsMade })
  })
  worker.on('failed', (job, error) => {
    // No job: a stalled job was failed and already removed; nobody to name in an event.
    if (!job) return
    // Not final: the attempt will be retried, and processJob has said so.
    const final = job.finishedOn !== undefined || job.attemptsMade >= (job.opts.attempts ?? 1)
    if (!final) return
    publish({ type: 'failed', job: job.data, attempt: job.attemptsMade, error: error.message })
  })
  return worker
}

/** BullMQ's exponential backoff for the attempt that just failed: `delay * 2 ** (attempt - 1)`. */
function retryDelay(job: Job<ProcessingJob>, attempt: number): number {
  const { backoff } = job.opts
  // BullMQ reads a bare number as a fixed delay.
  if (typeof backoff === 'number') return backoff
  const delay = backoff?.delay ?? 0
  return backoff?.type === 'fixed' ? delay : Math.round(delay * 2 ** (attempt - 1))
}
