import type { Redis } from 'ioredis'
import { coordinationUnavailable } from '../locking/coordinationUnavailable.js'
import { defineRedisScript } from '../locking/redisScript.js'
import { checkRateLimiterOptions, type RateLimiter, refusal } from './RateLimiter.js'

/** Options of `createRedisRateLimiter`. */
export interface RedisRateLimiterOptions {
  redis: Redis
  /**
   * Uploads a user may start per window across all instances, and the burst allowed at once.
   * @default 60
   */
  limit: number
  /**
   * The window the limit applies to, in milliseconds.
   * @default 60_000
   */
  windowMs: number
  /**
   * Prefix of the bucket keys (`<prefix>rate:<user id>`).
   * @default 'ferry:'
   */
  prefix: string
}

/** Defaults of `createRedisRateLimiter`: 60 uploads per minute. */
export const defaultRedisRateLimiterOptions: Omit<RedisRateLimiterOptions, 'redis'> = {
  limit: 60,
  windowMs: 60_000,
  prefix: 'ferry:',
}

/**
 * createRateLimiter's token bucket, in a Redis hash updated by one script so that two instances
 * never both spend the last token. Credit is in units of 1/windowMs as there; the clock is Redis'
 * own (`TIME`), one for every instance whatever their system clocks say. A bucket idle for a
 * window is full again, the same as none, so it expires then: Redis holds only active users.
 * KEYS[1] the bucket, ARGV[1] limit, ARGV[2] windowMs. Returns `{allowed, ms to wait}`.
 */
const takeToken = defineRedisScript(`
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local capacity = limit * window
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'credit', 'updatedAt')
local credit = tonumber(bucket[1]) or capacity
local updatedAt = tonumber(bucket[2]) or now
credit = math.min(capacity, credit + math.max(0, now - updatedAt) * limit)
local allowed = 0
local waitMs = 0
if credit >= window then
  credit = credit - window
  allowed = 1
else
  waitMs = math.ceil((window - credit) / limit)
end
redis.call('HSET', KEYS[1], 'credit', string.format('%.0f', credit), 'updatedAt', now)
redis.call('PEXPIRE', KEYS[1], window)
return {allowed, waitMs}
`)

/**
 * Creates an upload rate limiter shared by every server instance on one Redis.
 * @example
 * const limiter = createRedisRateLimiter({ redis, limit: 10, windowMs: 60_000 })
 * const { allowed, retryAfterSeconds } = await limiter.take(principal.userId)
 */
export function createRedisRateLimiter(
  options: Partial<RedisRateLimiterOptions> & Pick<RedisRateLimiterOptions, 'redis'>,
): RateLimiter {
  const { redis, limit, windowMs, prefix } = { ...defaultRedisRateLimiterOptions, ...options }
  checkRateLimiterOptions({ limit, windowMs })
  return {
    async take(userId) {
      const [allowed, waitMs] = (await takeToken
        .run(redis, [`${prefix}rate:${userId}`], [limit, windowMs])
        .catch((error: unknown) => {
          throw coordinationUnavailable(error)
        })) as [number, number]
      return allowed === 1 ? { allowed: true, retryAfterSeconds: 0 } : refusal(waitMs)
    },
  }
}
