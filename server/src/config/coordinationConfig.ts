import type { EnvironmentReaders } from './environmentReaders.js'

/**
 * Where the state that server instances must agree on lives: the tus upload locks and the
 * per-user rate limit. `memory` keeps it in the process (one instance, nothing to install);
 * `redis` shares it through FERRY_REDIS_URL so that several instances can serve one bucket.
 */
export type CoordinationConfig = { kind: 'memory' } | { kind: 'redis'; redisUrl: string }

/** `FERRY_COORDINATION=memory|redis`; `redis` needs FERRY_REDIS_URL. */
export function loadCoordinationConfig(read: EnvironmentReaders, problems: string[]): CoordinationConfig {
  const kind = read.oneOf('FERRY_COORDINATION', ['memory', 'redis'] as const, 'memory')
  if (kind === 'memory') return { kind }
  const redisUrl = read.required(
    'FERRY_REDIS_URL',
    'with FERRY_COORDINATION=redis (the Redis that all server instances share for upload locks and rate limits)',
  )
  const badUrl = `FERRY_REDIS_URL must be a redis:// or rediss:// URL, got "${redisUrl}"`
  // FERRY_QUEUE=bullmq reads the same variable and may have said so already.
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl) && !problems.includes(badUrl)) problems.push(badUrl)
  return { kind, redisUrl }
}
