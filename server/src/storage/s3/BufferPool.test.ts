import { describe, expect, it } from 'vitest'
import { BufferPool } from './BufferPool.js'

describe('BufferPool', () => {
  it('reuses released buffers and makes a waiter wait until one is released', async () => {
    const pool = new BufferPool({ bufferSize: 16, maxBuffers: 2 })
    const first = await pool.acquire()
    const second = await pool.acquire()
    expect(first).toHaveLength(16)
    let third: Buffer | undefined
    const waiting = pool.acquire().then((buffer) => {
      third = buffer
    })
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(third).toBeUndefined()
    pool.release(second)
    await waiting
    expect(third).toBe(second)
    pool.release(first)
    expect(await pool.acquire()).toBe(first)
  })

  it('keeps at most maxIdle released buffers and lets new ones be made in place of the rest', async () => {
    const pool = new BufferPool({ bufferSize: 16, maxBuffers: 3, maxIdle: 1 })
    const taken = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()])
    for (const buffer of taken) pool.release(buffer)
    const again = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()])
    expect(again.filter((buffer) => taken.includes(buffer))).toHaveLength(1)
  })
})
