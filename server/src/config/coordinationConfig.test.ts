import { describe, expect, it } from 'vitest'
import { loadConfig } from './loadConfig.js'

/** Expects loading `env` to fail with exactly these problem lines. */
function expectProblems(env: Record<string, string>, problems: unknown[]): void {
  expect(() => loadConfig(env)).toThrow(expect.objectContaining({ name: 'ConfigError', problems }))
}

describe('FERRY_COORDINATION', () => {
  it('keeps locks and rate limits in the process by default', () => {
    expect(loadConfig({}).coordination).toEqual({ kind: 'memory', lockTimeoutMs: 30_000 })
  })

  it('shares them through FERRY_REDIS_URL with redis', () => {
    const config = loadConfig({ FERRY_COORDINATION: 'redis', FERRY_REDIS_URL: 'redis://10.0.0.5:6379' })
    expect(config.coordination).toEqual({
      kind: 'redis',
      redisUrl: 'redis://10.0.0.5:6379',
      lockLeaseMs: 10_000,
      lockTimeoutMs: 30_000,
    })
  })

  it('takes the lock timeout and the Redis lease from the environment, within bounds', () => {
    const env = { FERRY_COORDINATION: 'redis', FERRY_REDIS_URL: 'redis://r:6379' }
    expect(loadConfig({ ...env, FERRY_LOCK_TIMEOUT_MS: '5000', FERRY_LOCK_LEASE_MS: '3000' }).coordination).toMatchObject({
      lockLeaseMs: 3000,
      lockTimeoutMs: 5000,
    })
    expect(loadConfig({ FERRY_LOCK_TIMEOUT_MS: '200' }).coordination).toEqual({ kind: 'memory', lockTimeoutMs: 200 })
    expectProblems({ ...env, FERRY_LOCK_LEASE_MS: '500' }, [expect.stringContaining('FERRY_LOCK_LEASE_MS')])
    expectProblems({ FERRY_LOCK_TIMEOUT_MS: 'soon' }, [expect.stringContaining('FERRY_LOCK_TIMEOUT_MS')])
  })

  it('says what is missing or wrong, once', () => {
    expectProblems({ FERRY_COORDINATION: 'redis' }, [
      expect.stringMatching(/^FERRY_REDIS_URL is required with FERRY_COORDINATION=redis/),
    ])
    expectProblems({ FERRY_COORDINATION: 'zookeeper' }, [expect.stringContaining('FERRY_COORDINATION')])
    expectProblems({ FERRY_COORDINATION: 'redis', FERRY_QUEUE: 'bullmq', FERRY_REDIS_URL: 'localhost:6379' }, [
      'FERRY_REDIS_URL must be a redis:// or rediss:// URL, got "localhost:6379"',
    ])
  })
})
