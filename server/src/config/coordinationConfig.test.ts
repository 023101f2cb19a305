import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './loadConfig.js'

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('FERRY_COORDINATION', () => {
  it('keeps locks and rate limits in the process by default', () => {
    expect(loadConfig({}).coordination).toEqual({ kind: 'memory' })
  })

  it('shares them through FERRY_REDIS_URL with redis', () => {
    const config = loadConfig({ FERRY_COORDINATION: 'redis', FERRY_REDIS_URL: 'redis://10.0.0.5:6379' })
    expect(config.coordination).toEqual({ kind: 'redis', redisUrl: 'redis://10.0.0.5:6379' })
  })

  it('says what is missing or wrong, once', () => {
    expect(problemsOf({ FERRY_COORDINATION: 'redis' })).toEqual([
      expect.stringMatching(/^FERRY_REDIS_URL is required with FERRY_COORDINATION=redis/),
    ])
    expect(problemsOf({ FERRY_COORDINATION: 'zookeeper' })).toEqual([expect.stringContaining('FERRY_COORDINATION')])
    const bothBad = problemsOf({ FERRY_COORDINATION: 'redis', FERRY_QUEUE: 'bullmq', FERRY_REDIS_URL: 'localhost:6379' })
    expect(bothBad).toEqual(['FERRY_REDIS_URL must be a redis:// or rediss:// URL, got "localhost:6379"'])
  })
})
