import type { BackoffOptions } from './types.js'

export interface BackoffDelayOptions extends BackoffOptions {
  /** Attempts failed so far, 1 after the first failure. */
  attempt: number
  /**
   * A number in [0, 1).
   * @default Math.random
   */
  random?: () => number
}

/**
 * The wait before the next attempt: a random time up to `baseMs * 2^(attempt - 1)`, capped at
 * `maxMs` ("full jitter"). The randomness spreads the retries of many deliveries that failed
 * together, so a receiver that comes back is not hit by all of them at once.
 * @example
 * const delayMs = backoffDelay({ attempt: 3, baseMs: 1000, maxMs: 600_000 }) // 0 to 4000
 */
export function backoffDelay(options: BackoffDelayOptions): number {
  const { attempt, baseMs, maxMs, random = Math.random } = options
  // The exponent is capped so a large attempt count cannot overflow to Infinity.
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40))
  return Math.floor(random() * ceiling)
}
