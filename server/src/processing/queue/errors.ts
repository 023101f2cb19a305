/** Why the queue refused a call or ended an attempt; stable, for callers and runners to test. */
export type QueueErrorCode =
  | 'invalid-options'
  | 'invalid-job'
  | 'already-consuming'
  | 'closed'
  | 'timeout'

/**
 * An error of the job queue itself (not of a job's work). Also the `reason` of a runner's aborted
 * signal: code `'timeout'` when the attempt ran too long, `'closed'` when the queue is closing.
 * @example
 * signal.addEventListener('abort', () => {
 *   if (signal.reason instanceof QueueError && signal.reason.code === 'closed') saveProgress()
 * })
 */
export class QueueError extends Error {
  override name = 'QueueError'
  constructor(
    readonly code: QueueErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`ferry-server: ${message}`, options)
  }
}

/** Turns whatever a runner threw into a message for `retrying`/`failed` events. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Turns whatever was thrown into an Error, keeping the original as its cause. */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error), { cause: error })
}

/**
 * False for an error its runner marked `retryable: false`: another attempt would fail the same
 * way (an image that is not one, a decompression bomb), so the job fails at once.
 * @example
 * throw Object.assign(new Error('not an image'), { retryable: false })
 */
export function isRetryable(error: unknown): boolean {
  return (error as { retryable?: unknown } | null)?.retryable !== false
}
