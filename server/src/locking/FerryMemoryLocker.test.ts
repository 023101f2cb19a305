import { describe, expect, it } from 'vitest'
import { FerryMemoryLocker } from './FerryMemoryLocker.js'

const never = new AbortController().signal

describe('FerryMemoryLocker', () => {
  it('hands the lock to waiters in order, asking the holder to release once per waiter', async () => {
    const locker = new FerryMemoryLocker()
    const first = locker.newLock('a')
    let releaseRequests = 0
    await first.lock(never, () => {
      releaseRequests++
    })
    const order: string[] = []
    const second = locker.newLock('a')
    const third = locker.newLock('a')
    const secondDone = second.lock(never, () => {}).then(() => order.push('second'))
    const thirdDone = third.lock(never, () => {}).then(() => order.push('third'))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(order).toEqual([])
    expect(releaseRequests).toBe(2)
    await first.unlock()
    await secondDone
    expect(order).toEqual(['second'])
    await second.unlock()
    await thirdDone
    expect(order).toEqual(['second', 'third'])
    await third.unlock()
    expect(locker.holders.size).toBe(0)
    expect(locker.queues.size).toBe(0)
  })

  it('gives up at the timeout and when the request is stopped, leaving no waiter behind', async () => {
    const locker = new FerryMemoryLocker({ acquireLockTimeout: 50 })
    await locker.newLock('b').lock(never, () => {})
    await expect(locker.newLock('b').lock(never, () => {})).rejects.toMatchObject({ status_code: expect.any(Number) })
    const controller = new AbortController()
    const stopped = locker.newLock('b').lock(controller.signal, () => {})
    controller.abort()
    await expect(stopped).rejects.toBeDefined()
    expect(locker.queues.size).toBe(0)
  })

  it('keeps memory flat while requests wait (no polling)', async () => {
    const locker = new FerryMemoryLocker({ acquireLockTimeout: 60_000 })
    const holder = locker.newLock('c')
    await holder.lock(never, () => {})
    const waiters = [1, 2, 3].map(() => locker.newLock('c').lock(never, () => {}))
    global.gc?.()
    const before = process.memoryUsage().heapUsed
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const growth = process.memoryUsage().heapUsed - before
    expect(growth).toBeLessThan(20 * 1024 * 1024)
    await holder.unlock()
    for (const waiter of waiters) {
      await Promise.race([waiter, new Promise((resolve) => setTimeout(resolve, 10))])
    }
    expect(locker.holders.size).toBe(1)
  })
})
