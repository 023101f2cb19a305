/** Why the webhook dispatcher refused a call; stable, for callers to branch on. */
export type WebhookErrorCode = 'invalid-options' | 'invalid-payload'

/**
 * An error of the webhook dispatcher itself: bad options at creation, or a payload that cannot be
 * sent as JSON. A receiver that is down is never an error for the caller; it is retried and logged.
 * @example
 * try {
 *   await dispatcher.enqueue('post-finish', payload)
 * } catch (error) {
 *   if (error instanceof WebhookError && error.code === 'invalid-payload') logger.error(error)
 * }
 */
export class WebhookError extends Error {
  override name = 'WebhookError'
  constructor(
    readonly code: WebhookErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`ferry-server: ${message}`, options)
  }
}

/** A short, single-line account of a failed attempt, with the network error's code when known. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  if (error.name === 'TimeoutError') return 'the receiver did not answer in time'
  const cause = error.cause
  const detail =
    cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : undefined
  return detail ? `${error.message} (${detail})` : error.message
}
