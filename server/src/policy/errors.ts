/** Why upload policy refused a request; stable, for callers and tests to match on. */
export type PolicyErrorCode =
  | 'type-not-allowed'
  | 'too-large'
  | 'rate-limited'
  | 'content-mismatch'
  | 'invalid-filename'

/** The HTTP status each refusal is answered with. */
export const policyErrorStatus = {
  'type-not-allowed': 415,
  'too-large': 413,
  'rate-limited': 429,
  'content-mismatch': 415,
  'invalid-filename': 400,
} as const satisfies Record<PolicyErrorCode, number>

/** An HTTP status policy answers with. */
export type PolicyErrorStatus = (typeof policyErrorStatus)[PolicyErrorCode]

/**
 * Upload policy refused a request. The message names the input that was wrong and, where it
 * helps, what would have been accepted; `status` is the HTTP status to answer with.
 * @example
 * try {
 *   checkCreation({ tier: 'basic', declaredType: 'video/mp4', size: 1 })
 * } catch (error) {
 *   if (error instanceof PolicyError) return c.json({ error: error.message }, error.status)
 * }
 */
export class PolicyError extends Error {
  override name = 'PolicyError'
  readonly status: PolicyErrorStatus
  /** For `'rate-limited'`: seconds until a retry can succeed, for a `Retry-After` header. */
  readonly retryAfterSeconds: number | undefined

  constructor(
    readonly code: PolicyErrorCode,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(`ferry-server: ${message}`, 'cause' in options ? { cause: options.cause } : undefined)
    this.status = policyErrorStatus[code]
    this.retryAfterSeconds = options.retryAfterSeconds
  }
}
