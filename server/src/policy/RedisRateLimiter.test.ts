import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../../test/helpers/redisServer.js'
import { createRedisRateLimiter, type RedisRateLimiterOptions } from './RedisRateLimiter.js'

let server: RedisServer
const connections: Redis[] = []

beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(async () => {
  for (const redis of connections) await redis.quit().catch(() => undefined)
  await server?.stop()
})

/** A limiter on a connection of its own: as another server instance would have. */
function instance(options: Partial<RedisRateLimiterOptions>) {
  const redis = new Redis(server.url)
  connections.push(redis)
  return createRedisRateLimiter({ redis, ...options })
}

const user = () => `user-${randomUUID()}`

describe('createRedisRateLimiter', () => {
  it('shares one budget between instances, even when they ask at the same moment', async () => {
    const instances = [instance({ limit: 5, windowMs: 60_000 }), instance({ limit: 5, windowMs: 60_000 })]
    const ada = user()
    const decisions = await Promise.all(
      Array.from({ length: 20 }, (_, index) => instances[index % 2]?.take(ada)),
    )
    expect(decisions.filter((decision) => decision?.allowed)).toHaveLength(5)
    // One upload back every 12 s.
    expect(decisions.find((decision) => decision?.allowed === false)).toEqual({ allowed: false, retryAfterSeconds: 12 })
  })

  it('refills at limit per window, never above limit, and counts users apart', async () => {
    const [first, second] = [instance({ limit: 2, windowMs: 1_000 }), instance({ limit: 2, windowMs: 1_000 })]
    const ada = user()
    expect((await first.take(ada)).allowed).toBe(true)
    expect((await second.take(ada)).allowed).toBe(true)
    expect(await first.take(ada)).toEqual({ allowed: false, retryAfterSeconds: 1 })
    expect((await second.take(user())).allowed).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 550))
    expect((await second.take(ada)).allowed).toBe(true)
    expect((await first.take(ada)).allowed).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    const afterIdle = await Promise.all([1, 2, 3].map(() => first.take(ada)))
    expect(afterIdle.map((decision) => decision.allowed)).toEqual([true, true, false])
  })

  it('keeps a bucket in Redis only while it is not full', async () => {
    const redis = new Redis(server.url)
    connections.push(redis)
    const limiter = createRedisRateLimiter({ redis, limit: 3, windowMs: 400, prefix: 'expiry-test:' })
    const ada = user()
    await limiter.take(ada)
    const ttl = await redis.pttl(`expiry-test:rate:${ada}`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(400)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await redis.exists(`expiry-test:rate:${ada}`)).toBe(0)
  })

  it.each([{ limit: 0 }, { windowMs: 1.5 }])('refuses %j', (options) => {
    expect(() => createRedisRateLimiter({ redis: new Redis({ lazyConnect: true }), ...options })).toThrow(
      /^ferry-server: rate limiter \w+ must be/,
    )
  })
})
