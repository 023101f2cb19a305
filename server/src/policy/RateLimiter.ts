/**
 * Design note: a token bucket per user. A bucket holds `limit` tokens and refills at `limit`
 * per `windowMs`, so a user may burst `limit` uploads and then keep to the rate. Buckets live in
 * one Map ordered by last use: a bucket untouched for `windowMs` is full again, which is the
 * same as having none, so each call drops a few such buckets from the front, and `maxUsers`
 * caps the Map under a flood of distinct ids. Every call is O(1) amortised.
 *
 * Per process: each server instance counts on its own, so N instances allow N times the limit.
 * Instances that scale out share one budget through `createRedisRateLimiter`, the same bucket
 * kept in Redis behind the same `RateLimiter` interface.
 */

/** Options of `createRateLimiter`. */
export interface RateLimiterOptions {
  /**
   * Uploads a user may start per window, and the burst allowed at once.
   * @default 60
   */
  limit: number
  /**
   * The window the limit applies to, in milliseconds.
   * @default 60_000
   */
  windowMs: number
  /**
   * Milliseconds from any fixed origin. Monotonic by default, so changing the system time
   * neither lifts nor extends a limit; a test passes a fake clock.
   * @default () => performance.now()
   */
  clock: () => number
  /**
   * Most users tracked at once; past it the least recently seen is forgotten (and starts
   * afresh), which bounds memory when every request claims a new id.
   * @default 100_000
   */
  maxUsers: number
}

/** Defaults of `createRateLimiter`: 60 uploads per minute. */
export const defaultRateLimiterOptions: RateLimiterOptions = {
  limit: 60,
  windowMs: 60_000,
  clock: () => performance.now(),
  maxUsers: 100_000,
}

/** The answer to one attempt. */
export interface RateDecision {
  /** Whether the upload may start; a token was taken if so. */
  allowed: boolean
  /** Whole seconds until the next attempt can succeed (for `Retry-After`); 0 when allowed. */
  retryAfterSeconds: number
}

/** Counts uploads per user. */
export interface RateLimiter {
  /** Takes one upload from the user's allowance, if there is one left. */
  take(userId: string): RateDecision | Promise<RateDecision>
}

/** Counts uploads per user, in this process: answers at once. */
export interface MemoryRateLimiter extends RateLimiter {
  take(userId: string): RateDecision
  /** Users currently tracked (for tests and metrics). */
  readonly size: number
}

/** Refuses a limit, window or cap that is not a positive whole number. */
export function checkRateLimiterOptions(options: Record<string, number>): void {
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(
        `ferry-server: rate limiter ${name} must be a positive integer, got ${String(value)}`,
      )
    }
  }
}

/** The refusal for a bucket `waitMs` short of one upload; `Retry-After` is at least 1 s. */
export function refusal(waitMs: number): RateDecision {
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) }
}

/**
 * Tokens are counted in units of 1/windowMs, so refilling adds `elapsed * limit` and an upload
 * costs `windowMs`: whole numbers for a whole-millisecond clock, with no rounding to drift.
 */
interface Bucket {
  credit: number
  updatedAt: number
}

/** Idle buckets dropped per call: enough to outpace the one a call can add. */
const EVICTIONS_PER_CALL = 2

/**
 * Creates an in-memory upload rate limiter.
 * @example
 * const limiter = createRateLimiter({ limit: 10, windowMs: 60_000 })
 * const { allowed, retryAfterSeconds } = limiter.take(principal.userId)
 * if (!allowed) throw new PolicyError('rate-limited', 'too many uploads', { retryAfterSeconds })
 */
export function createRateLimiter(options: Partial<RateLimiterOptions> = {}): MemoryRateLimiter {
  const { limit, windowMs, clock, maxUsers } = { ...defaultRateLimiterOptions, ...options }
  checkRateLimiterOptions({ limit, windowMs, maxUsers })
  const capacity = limit * windowMs
  const buckets = new Map<string, Bucket>()

  function evictIdle(now: number): void {
    for (let evicted = 0; evicted < EVICTIONS_PER_CALL; evicted += 1) {
      const oldest = buckets.entries().next()
      if (oldest.done === true) return
      const [userId, bucket] = oldest.value
      if (now - bucket.updatedAt < windowMs && buckets.size <= maxUsers) return
      buckets.delete(userId)
    }
  }

  return {
    take(userId) {
      const now = clock()
      const bucket = buckets.get(userId) ?? { credit: capacity, updatedAt: now }
      // A clock that steps back (a fake one, or a wall clock) refills nothing rather than draining.
      const elapsed = Math.max(0, now - bucket.updatedAt)
      bucket.credit = Math.min(capacity, bucket.credit + elapsed * limit)
      bucket.updatedAt = now
      // Re-inserting moves the user to the back, keeping the Map ordered by last use.
      buckets.delete(userId)
      buckets.set(userId, bucket)
      evictIdle(now)
      if (bucket.credit >= windowMs) {
        bucket.credit -= windowMs
        return { allowed: true, retryAfterSeconds: 0 }
      }
      return refusal((windowMs - bucket.credit) / limit)
    },
    get size() {
      return buckets.size
    },
  }
}
