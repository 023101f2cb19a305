export interface BackoffOptions {
  /**
   * Milliseconds the first retry waits at most; each later attempt doubles it.
   * @default 500
   */
  baseDelay?: number
  /**
   * Cap in milliseconds on the doubling, so a long outage is polled at a steady pace.
   * @default 30000
   */
  maxDelay?: number
  /**
   * Retries before giving up; `backoffDelay` returns `undefined` from this attempt on.
   * @default 8
   */
  maxAttempts?: number
  /**
   * Source of uniform numbers in [0, 1); tests pass a fixed one.
   * @default Math.random
   */
  random?: () => number
}

export const defaultBackoffOptions = {
  baseDelay: 500,
  maxDelay: 30_000,
  maxAttempts: 8,
  random: (): number => Math.random(),
}

/**
 * Milliseconds to wait before retry number `attempt` (0 for the first retry), or `undefined` when
 * the attempts are used up. Full jitter: a uniform pick between 0 and
 * min(maxDelay, baseDelay * 2^attempt), so that many clients failing at once (a server restart)
 * do not all come back in lockstep.
 *
 * @example
 * const delay = backoffDelay(attempt, { baseDelay: 1000 })
 * if (delay === undefined) throw error
 * await sleep(delay)
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number | undefined {
  const { baseDelay, maxDelay, maxAttempts, random } = { ...defaultBackoffOptions, ...options }
  if (attempt < 0 || attempt >= maxAttempts) return undefined
  return Math.round(random() * backoffCeiling(attempt, { baseDelay, maxDelay }))
}

/**
 * The largest delay `backoffDelay` can pick for an attempt: `min(maxDelay, baseDelay * 2^attempt)`.
 *
 * @example
 * backoffCeiling(3) // 4000
 */
export function backoffCeiling(
  attempt: number,
  options: Pick<BackoffOptions, 'baseDelay' | 'maxDelay'> = {},
): number {
  const { baseDelay, maxDelay } = { ...defaultBackoffOptions, ...options }
  return Math.min(maxDelay, baseDelay * 2 ** attempt)
}
