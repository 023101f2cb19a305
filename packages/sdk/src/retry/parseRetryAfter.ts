export interface ParseRetryAfterOptions {
  /**
   * The current time in epoch milliseconds, against which an HTTP date is measured.
   * @default Date.now()
   */
  now?: number
}

/**
 * Milliseconds a `Retry-After` header asks the client to wait, from either form RFC 9110 allows:
 * delay-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`). A date in the past
 * means 0. Returns `undefined` for a missing or malformed header, so the caller's backoff applies.
 *
 * @example
 * parseRetryAfter(response.getHeader('Retry-After')) // 120000 for '120'
 */
export function parseRetryAfter(
  value: string | null | undefined,
  { now = Date.now() }: ParseRetryAfterOptions = {},
): number | undefined {
  const trimmed = value?.trim()
  if (!trimmed) return undefined
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  // Date.parse reads bare numbers ('-5', '1.5') as years; an HTTP date always names its day.
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined
  // HTTP dates are all GMT, but the obsolete asctime form does not say so.
  const date = Date.parse(/GMT$/i.test(trimmed) ? trimmed : `${trimmed} GMT`)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
