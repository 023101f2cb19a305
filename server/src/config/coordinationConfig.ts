import type { EnvironmentReaders } from './environmentReaders.js'

/**
 * Where the state that server instances must agree on lives: the tus upload locks and the
 * per-user rate limit. `memory` keeps it in the process (one instance, nothing to install);
 * `redis` shares it through FERRY_REDIS_URL so that several instances can serve one bucket.
 */
export type CoordinationConfig = (
  | { kind: 'memory' }
  | {
      kind: 'redis'
      redisUrl: string
      /** How long a lock outlives an instance that died holding it (renewed every third while held). */
      lockLeaseMs: number
    }
) & {
  /** How long a request waits for its upload's lock before it is answered an error. */
  lockTimeoutMs: number
}

/**
 * `FERRY_COORDINATION=memory|redis`; `redis` needs FERRY_REDIS_URL. FERRY_LOCK_TIMEOUT_MS for
 * both, FERRY_LOCK_LEASE_MS for Redis locks.
 */
export function loadCoordinationConfig(read: EnvironmentReaders, problems: string[]): CoordinationConfig {
  const kind = read.oneOf('FERRY_COORDINATION', ['memory', 'redis'] as const, 'memory')
  const lockTimeoutMs = read.integer('FERRY_LOCK_TIMEOUT_MS', 30_000, { min: 1 })
  if (kind === 'memory') return { kind, lockTimeoutMs }
  // Renewed every third of it: shorter leases would renew more often than Redis round trips allow.
  const lockLeaseMs = read.integer('FERRY_LOCK_LEASE_MS', 10_000, { min: 1000 })
  const redisUrl = read.required(
    'FERRY_REDIS_URL',
    'with FERRY_COORDINATION=redis (the Redis that all server instances share for upload locks and rate limits)',
  )
  const badUrl = `FERRY_REDIS_URL must be a redis:// or rediss:// URL, got "${redisUrl}"`
  // FERRY_QUEUE=bullmq reads the same variable and may have said so already.
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl) && !problems.includes(badUrl)) problems.push(badUrl)
  return { kind, redisUrl, lockLeaseMs, lockTimeoutMs }
}
