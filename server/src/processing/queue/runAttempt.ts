import { QueueError } from './errors.js'
import { settleWithin } from './settleWithin.js'
import type { JobRunner, ProcessingJob } from './types.js'

/** One run of one job. */
export interface RunAttemptOptions {
  runner: JobRunner
  job: ProcessingJob
  /** 1-based. */
  attempt: number
  timeoutMs: number
  /** Abort this attempt too when one of these aborts (queue closing, BullMQ cancelling). */
  signals?: AbortSignal[]
}

/**
 * Runs `runner` once, settling when it settles or when the attempt is aborted, whichever comes
 * first: at `timeoutMs` it aborts the runner's signal and rejects with a `'timeout'` QueueError,
 * once the runner has settled or another `timeoutMs` has passed (a runner that ignores the signal
 * has its late result dropped). A runner that throws
 * synchronously rejects like one that rejects.
 * @example
 * await runAttempt({ runner, job, attempt: 1, timeoutMs: 60_000, signals: [closing.signal] })
 */
export async function runAttempt(options: RunAttemptOptions): Promise<void> {
  const { runner, job, attempt, timeoutMs, signals = [] } = options
  const controller = new AbortController()
  const abort = (reason: unknown): void => controller.abort(reason)
  const timer = setTimeout(() => {
    const message = `job ${job.id} timed out after ${timeoutMs} ms (attempt ${attempt})`
    abort(new QueueError('timeout', message))
  }, timeoutMs)
  const unlink = signals.map((signal) => linkSignal(signal, abort))
  const aborted = new Promise<never>((_, reject) => {
    if (controller.signal.aborted) reject(controller.signal.reason)
    const onAbort = (): void => reject(controller.signal.reason)
    controller.signal.addEventListener('abort', onAbort, { once: true })
  })
  const work = Promise.resolve().then(() => runner(job, { attempt, signal: controller.signal }))
  try {
    // race() subscribes to both, so a runner that rejects after the timeout is not unhandled.
    await Promise.race([work, aborted])
  } catch (error) {
    // Timed out: the runner stops at its next check of the signal (an image step in progress
    // cannot be cut short). It is given up to one more timeout to get there, so that what it
    // records (a last attempt's failure) is written before the queue reports the job failed, and
    // a retry does not run beside it.
    if (error instanceof QueueError && error.code === 'timeout') await settleWithin([work], timeoutMs)
    throw error
  } finally {
    clearTimeout(timer)
    for (const release of unlink) release()
  }
}

function linkSignal(signal: AbortSignal, abort: (reason: unknown) => void): () => void {
  if (signal.aborted) {
    abort(signal.reason)
    return () => undefined
  }
  const onAbort = (): void => abort(signal.reason)
  signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}
