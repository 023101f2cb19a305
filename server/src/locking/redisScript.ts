import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

/** A Lua script run atomically in Redis, sent once and then called by its SHA-1. */
export interface RedisScript {
  run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown>
}

/**
 * Wraps a Lua script: `EVALSHA` first, and `EVAL` (which also caches it) when Redis answers
 * `NOSCRIPT`, as after a restart or `SCRIPT FLUSH`.
 * @example
 * const ping = defineRedisScript("return redis.call('PING')")
 * await ping.run(redis, [], [])
 */
export function defineRedisScript(lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex')
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args)
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
        return redis.eval(lua, keys.length, ...keys, ...args)
      }
    },
  }
}
