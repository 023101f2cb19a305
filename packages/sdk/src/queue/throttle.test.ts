import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { throttle } from './throttle.js'

describe('throttle', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs soon after the first request, never inside it', () => {
    const run = vi.fn()
    const throttled = throttle(run, 100)
    throttled.request()
    expect(run).not.toHaveBeenCalled()
    vi.advanceTimersByTime(0)
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('runs at most once per interval however many requests arrive', () => {
    const runs: number[] = []
    const throttled = throttle(() => runs.push(Date.now()), 100)
    const start = Date.now()
    for (let elapsed = 0; elapsed < 1000; elapsed += 1) {
      throttled.request()
      vi.advanceTimersByTime(1)
    }
    vi.advanceTimersByTime(200)
    expect(runs.length).toBeGreaterThanOrEqual(10)
    expect(runs.length).toBeLessThanOrEqual(11)
    const gaps = runs.slice(1).map((time, index) => time - (runs[index] ?? start))
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100)
  })

  it('flush runs a pending request at once and stops the timer', () => {
    const run = vi.fn()
    const throttled = throttle(run, 100)
    throttled.request()
    vi.advanceTimersByTime(0)
    throttled.request()
    throttled.flush()
    expect(run).toHaveBeenCalledTimes(2)
    expect(vi.getTimerCount()).toBe(0)
    throttled.flush()
    expect(run).toHaveBeenCalledTimes(2)
  })

  it('stops its timer once requests stop', () => {
    const throttled = throttle(() => {}, 100)
    throttled.request()
    vi.advanceTimersByTime(0)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(100)
    expect(vi.getTimerCount()).toBe(0)
  })
})
