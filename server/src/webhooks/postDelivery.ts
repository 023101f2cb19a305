import { describeFailure } from './errors.js'
import { signWebhook } from './signature.js'
import type { WebhookDelivery } from './types.js'

/** The headers of every delivery, for receivers that read them by name. */
export const WEBHOOK_HEADERS = {
  id: 'Ferry-Webhook-Id',
  event: 'Ferry-Webhook-Event',
  timestamp: 'Ferry-Webhook-Timestamp',
  signature: 'Ferry-Webhook-Signature',
} as const

export interface PostDeliveryOptions {
  delivery: WebhookDelivery
  secret: string
  fetch: typeof fetch
  /** An attempt with no answer after this long fails. */
  timeoutMs: number
  /** Aborts the attempt, as when the dispatcher closes. */
  signal: AbortSignal
  /** Milliseconds since the epoch; the source of `Ferry-Webhook-Timestamp`. */
  now: () => number
}

/** What one attempt came to; `status` is the receiver's, when it answered at all. */
export type AttemptOutcome =
  | { ok: true; status: number }
  | { ok: false; status?: number; error: string }

/**
 * Makes one signed POST of a delivery and says how it went; never rejects, since a receiver that
 * is down, slow or answering errors is an expected outcome, not a fault of the caller.
 * @example
 * const outcome = await postDelivery({
 *   delivery,
 *   secret,
 *   fetch,
 *   timeoutMs: 10_000,
 *   signal: closing.signal,
 *   now: Date.now,
 * })
 * if (!outcome.ok) logger.info({ error: outcome.error }, 'will retry')
 */
export async function postDelivery(options: PostDeliveryOptions): Promise<AttemptOutcome> {
  const { delivery, secret, timeoutMs, signal, now } = options
  // Signed per attempt: a retry gets a fresh timestamp, so it passes the receiver's replay check.
  const timestamp = String(Math.floor(now() / 1000))
  // A timer of our own, not `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: Node can collect
  // a timeout signal held only by the composite before it fires (nodejs/node#57736), and then a
  // receiver that never answers holds the attempt, and its delivery slot, for good.
  const attempt = new AbortController()
  const stop = () => attempt.abort(signal.reason)
  if (signal.aborted) stop()
  else signal.addEventListener('abort', stop, { once: true })
  const timer = setTimeout(() => {
    attempt.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'))
  }, timeoutMs)
  try {
    const response = await options.fetch(delivery.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'ferry-server',
        [WEBHOOK_HEADERS.id]: delivery.id,
        [WEBHOOK_HEADERS.event]: delivery.event,
        [WEBHOOK_HEADERS.timestamp]: timestamp,
        [WEBHOOK_HEADERS.signature]: signWebhook({ secret, timestamp, body: delivery.body }),
      },
      body: delivery.body,
      // A redirect is not followed: fetch would turn the POST into a GET and drop the body, and a
      // receiver that moved should be reconfigured, not reached through a hop nobody checked.
      redirect: 'manual',
      signal: attempt.signal,
    })
    // The answer's body is of no use; dropping it frees the connection.
    await response.body?.cancel().catch(() => undefined)
    const { status } = response
    if (status >= 200 && status < 300) return { ok: true, status }
    const text = response.statusText ? ` ${response.statusText}` : ''
    return { ok: false, status, error: `the receiver answered ${status}${text}` }
  } catch (error) {
    return { ok: false, error: describeFailure(error) }
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', stop)
  }
}
