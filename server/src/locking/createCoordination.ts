import type { Locker } from '@tus/utils'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { CoordinationConfig } from '../config/coordinationConfig.js'
import type { RateLimiter } from '../policy/RateLimiter.js'
import { createRedisRateLimiter } from '../policy/RedisRateLimiter.js'
import { FerryMemoryLocker } from './FerryMemoryLocker.js'
import { RedisLocker } from './RedisLocker.js'

/** The upload locker and rate limiter a server instance shares with the others. */
export interface Coordination {
  /** A FerryMemoryLocker (this process only) or a RedisLocker. */
  locker: Locker
  /** `undefined`: the in-process limiter (when the policy has a limit at all). */
  rateLimiter: RateLimiter | undefined
  /** Closes the Redis connections; call once requests have finished and released their locks. */
  close(): Promise<void>
}

export interface CoordinationOptions {
  config: CoordinationConfig
  /** The upload policy's limit: a shared limiter is made only when there is one. */
  policy: { enabled: boolean; uploadsPerMinute: number }
  logger: Logger
}

/**
 * With FERRY_COORDINATION=redis, one Redis connection (and one pub/sub subscriber) carries the
 * upload locks and rate limits of this instance; with `memory`, nothing is created and the tus
 * server and policy keep their in-process defaults.
 * @example
 * const coordination = createCoordination({ config: config.coordination, policy: config.policy, logger })
 * const app = createApp({ ...options, locker: coordination.locker, rateLimiter: coordination.rateLimiter })
 */
export function createCoordination({ config, policy, logger }: CoordinationOptions): Coordination {
  if (config.kind === 'memory') {
    const locker = new FerryMemoryLocker({ acquireLockTimeout: config.lockTimeoutMs })
    return { locker, rateLimiter: undefined, close: async () => {} }
  }
  // While Redis is down a command fails after one reconnection attempt (at most 2 s apart), so
  // a request is answered 503 at once instead of after ioredis' default 20 attempts.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 })
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'coordination Redis connection error'))
  const locker = new RedisLocker({
    redis,
    acquireLockTimeout: config.lockTimeoutMs,
    leaseMs: config.lockLeaseMs,
    onWarning: (message, details) => logger.warn(details, message),
  })
  const rateLimiter =
    policy.enabled && policy.uploadsPerMinute > 0
      ? createRedisRateLimiter({ redis, limit: policy.uploadsPerMinute, windowMs: 60_000 })
      : undefined
  return {
    locker,
    rateLimiter,
    async close() {
      await locker.close()
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}
