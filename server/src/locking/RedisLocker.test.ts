import { randomUUID } from 'node:crypto'
import { ERRORS } from '@tus/utils'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../../test/helpers/redisServer.js'
import { RedisLocker, type RedisLockerOptions } from './RedisLocker.js'

let server: RedisServer
const open: { close(): Promise<void> }[] = []

beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(async () => {
  for (const item of open) await item.close().catch(() => undefined)
  await server?.stop()
})

/** A locker on a connection of its own: as another server instance would have. */
function instance(options: Partial<RedisLockerOptions> = {}): { locker: RedisLocker; redis: Redis } {
  const redis = new Redis(server.url)
  const locker = new RedisLocker({ redis, ...options })
  open.push(locker, { close: () => redis.quit().then(() => undefined) })
  return { locker, redis }
}

const never = new AbortController().signal
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const uploadId = () => `upload-${randomUUID()}`

describe('RedisLocker', () => {
  it('lets one instance hold an upload; a waiter elsewhere asks it to let go and gets it on release', async () => {
    // A 10 s poll: only the pub/sub announcement can make the hand-over fast.
    const a = instance({ pollIntervalMs: 10_000 })
    const b = instance({ pollIntervalMs: 10_000 })
    const id = uploadId()
    const held = a.locker.newLock(id)
    let releaseRequests = 0
    await held.lock(never, () => {
      releaseRequests++
    })
    let acquired = false
    const waiting = b.locker.newLock(id)
    const acquiring = waiting.lock(never, () => {}).then(() => {
      acquired = true
    })
    await sleep(300)
    expect(acquired).toBe(false)
    expect(releaseRequests).toBe(1)
    const releasedAt = Date.now()
    await held.unlock()
    await acquiring
    expect(Date.now() - releasedAt).toBeLessThan(500)
    expect(await a.redis.get(a.locker.keyOf(id))).not.toBeNull()
    await waiting.unlock()
    expect(await a.redis.get(a.locker.keyOf(id))).toBeNull()
    expect(a.locker.holders.size + b.locker.holders.size).toBe(0)
    expect(a.locker.waiters.size + b.locker.waiters.size).toBe(0)
  })

  it('never lets two requests on two instances inside at once', async () => {
    const lockers = [instance().locker, instance().locker]
    const id = uploadId()
    let inside = 0
    let most = 0
    let entries = 0
    await Promise.all(
      Array.from({ length: 12 }, async (_, index) => {
        const lock = lockers[index % 2]?.newLock(id)
        if (!lock) throw new Error('no locker')
        await lock.lock(new AbortController().signal, () => {})
        inside++
        entries++
        most = Math.max(most, inside)
        await sleep(10)
        inside--
        await lock.unlock()
      }),
    )
    expect(entries).toBe(12)
    expect(most).toBe(1)
  })

  it('frees the lock of an instance that died holding it once its lease runs out', async () => {
    const dying = instance({ leaseMs: 600 })
    const survivor = instance({ pollIntervalMs: 10_000 })
    const id = uploadId()
    await dying.locker.newLock(id).lock(never, () => {})
    // The process is gone: no renewal reaches Redis, and no release either.
    dying.redis.disconnect()
    const started = Date.now()
    const lock = survivor.locker.newLock(id)
    await lock.lock(never, () => {})
    const waited = Date.now() - started
    // The lease, not the 10 s poll, decided: the waiter slept until the lease would run out.
    expect(waited).toBeGreaterThan(200)
    expect(waited).toBeLessThan(2_000)
    await lock.unlock()
  })

  it('a holder whose lease passed on cannot release the new holder, and is asked to stop', async () => {
    const a = instance({ leaseMs: 300 })
    const b = instance()
    const id = uploadId()
    const stale = a.locker.newLock(id)
    let stopped = false
    await stale.lock(never, () => {
      stopped = true
    })
    // As if the lease had run out during a long stall of A's event loop.
    await a.redis.del(a.locker.keyOf(id))
    const fresh = b.locker.newLock(id)
    await fresh.lock(never, () => {})
    await sleep(250)
    expect(stopped).toBe(true)
    await stale.unlock()
    expect(await b.redis.get(b.locker.keyOf(id))).not.toBeNull()
    await fresh.unlock()
  })

  it('gives up at the timeout and when the request stops, leaving no waiter behind', async () => {
    const a = instance()
    const b = instance({ acquireLockTimeout: 300 })
    const id = uploadId()
    await a.locker.newLock(id).lock(never, () => {})
    const started = Date.now()
    await expect(b.locker.newLock(id).lock(never, () => {})).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT)
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    const controller = new AbortController()
    const stopped = b.locker.newLock(id).lock(controller.signal, () => {})
    await sleep(50)
    controller.abort()
    await expect(stopped).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT)
    expect(b.locker.waiters.size).toBe(0)
  })

  it('waits without polling Redis hard and with flat memory', async () => {
    const a = instance()
    const b = instance({ acquireLockTimeout: 60_000 })
    const id = uploadId()
    const holder = a.locker.newLock(id)
    await holder.lock(never, () => {})
    const attempts = async () =>
      Number(/cmdstat_evalsha:calls=(\d+)/.exec(await a.redis.info('commandstats'))?.[1] ?? 0)
    const waiters = Array.from({ length: 20 }, () => b.locker.newLock(id))
    // Each with a signal of its own, as each request has.
    const settled = waiters.map((lock) =>
      lock.lock(new AbortController().signal, () => {}).then(() => lock.unlock()),
    )
    await sleep(200)
    global.gc?.()
    const heapBefore = process.memoryUsage().heapUsed
    const before = await attempts()
    await sleep(2_000)
    const spent = (await attempts()) - before
    // One attempt per waiter per second (the fallback poll) and a lease renewal: no busy loop.
    expect(spent).toBeLessThanOrEqual(20 * 3 + 2)
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(20 * 1024 * 1024)
    await holder.unlock()
    await Promise.all(settled)
    expect(b.locker.waiters.size).toBe(0)
  })
})
