import { describe, expect, it } from 'vitest'
import { backoffCeiling, backoffDelay, defaultBackoffOptions } from './backoff.js'

const highest = () => 1 - Number.EPSILON
const lowest = () => 0

describe('backoffDelay', () => {
  it('doubles the ceiling from 500 ms and caps it at 30 s', () => {
    const ceilings = Array.from({ length: 8 }, (_, attempt) => backoffCeiling(attempt))
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
    expect(backoffDelay(3, { random: highest })).toBe(4000)
    expect(backoffDelay(7, { random: highest })).toBe(30_000)
  })

  it('picks anywhere from zero up to the ceiling (full jitter)', () => {
    expect(backoffDelay(5, { random: lowest })).toBe(0)
    expect(backoffDelay(5, { random: () => 0.25 })).toBe(4000)
    expect(backoffDelay(0, { random: () => 0.5 })).toBe(250)
  })

  it('spreads delays over the whole range with the default random source', () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(4) ?? Number.NaN)
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...delays)).toBeLessThanOrEqual(8000)
    const mean = delays.reduce((sum, delay) => sum + delay, 0) / delays.length
    expect(mean).toBeGreaterThan(3400)
    expect(mean).toBeLessThan(4600)
  })

  it('gives up after maxAttempts', () => {
    expect(defaultBackoffOptions.maxAttempts).toBe(8)
    expect(backoffDelay(7, { random: lowest })).toBe(0)
    expect(backoffDelay(8)).toBeUndefined()
    expect(backoffDelay(2, { maxAttempts: 2 })).toBeUndefined()
    expect(backoffDelay(-1)).toBeUndefined()
  })

  it('takes baseDelay and maxDelay as options', () => {
    const options = { baseDelay: 100, maxDelay: 1000, maxAttempts: 20, random: highest }
    expect(backoffDelay(0, options)).toBe(100)
    expect(backoffDelay(3, options)).toBe(800)
    expect(backoffDelay(4, options)).toBe(1000)
    // 2^1000 overflows to Infinity; the cap still holds.
    expect(backoffDelay(1000, { ...options, maxAttempts: Number.POSITIVE_INFINITY })).toBe(1000)
  })
})
