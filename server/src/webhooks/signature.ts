import { createHmac, timingSafeEqual } from 'node:crypto'

/** The prefix of a signature, naming its algorithm so another can be added without ambiguity. */
const SCHEME = 'sha256='

export interface SignWebhookOptions {
  /** The shared secret (`FERRY_WEBHOOK_SECRET`). */
  secret: string
  /** Unix seconds, as sent in `Ferry-Webhook-Timestamp`. */
  timestamp: number | string
  /** The request body exactly as sent: sign and verify the raw text, never re-serialised JSON. */
  body: string
}

export interface VerifyWebhookSignatureOptions extends SignWebhookOptions {
  /** The `Ferry-Webhook-Signature` header; `null` or `undefined` (a missing header) fails. */
  signature: string | null | undefined
  /**
   * How far, in seconds, the timestamp may be from `now` before a request counts as a replay.
   * @default 300
   */
  toleranceSeconds?: number
  /**
   * The clock, in milliseconds since the epoch.
   * @default Date.now
   */
  now?: () => number
}

/** Defaults of `verifyWebhookSignature`. */
export const defaultVerifyWebhookSignatureOptions = {
  toleranceSeconds: 300,
  now: Date.now,
} satisfies Partial<VerifyWebhookSignatureOptions>

/**
 * Signs a webhook body as Ferry does: `sha256=` and the hex HMAC-SHA256 of `${timestamp}.${body}`.
 * The timestamp is signed with the body so a captured request cannot be replayed later under a
 * fresh timestamp.
 * @example
 * const signature = signWebhook({ secret, timestamp: Math.floor(Date.now() / 1000), body })
 */
export function signWebhook({ secret, timestamp, body }: SignWebhookOptions): string {
  return SCHEME + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

/**
 * For receivers: checks that a request came from a Ferry server holding `secret`, that its body is
 * unchanged and that it is recent. Pass the raw body text (not a parsed and re-serialised object)
 * and the `Ferry-Webhook-Timestamp` and `Ferry-Webhook-Signature` headers. Deliveries are retried
 * with the same `Ferry-Webhook-Id`: dedupe on it, as a valid request may arrive twice.
 * @example
 * const body = await request.text()
 * const valid = verifyWebhookSignature({
 *   secret: webhookSecret,
 *   timestamp: request.headers.get('ferry-webhook-timestamp') ?? '',
 *   signature: request.headers.get('ferry-webhook-signature'),
 *   body,
 * })
 * if (!valid) return new Response('bad signature', { status: 401 })
 */
export function verifyWebhookSignature(options: VerifyWebhookSignatureOptions): boolean {
  const { secret, timestamp, body, signature, toleranceSeconds, now } = {
    ...defaultVerifyWebhookSignatureOptions,
    ...options,
  }
  if (typeof signature !== 'string' || !secret) return false
  const text = String(timestamp)
  // Digits only: `Number('')` is 0 and `Number('1e9')` parses, neither is a header Ferry sends.
  if (!/^\d{1,15}$/.test(text)) return false
  if (Math.abs(now() / 1000 - Number(text)) > toleranceSeconds) return false
  const expected = Buffer.from(signWebhook({ secret, timestamp: text, body }))
  const received = Buffer.from(signature)
  // timingSafeEqual throws on a length mismatch; the length of a signature is no secret.
  return received.length === expected.length && timingSafeEqual(received, expected)
}
