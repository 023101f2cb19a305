import { describe, expect, it } from 'vitest'
import { createRateLimiter, defaultRateLimiterOptions } from './RateLimiter.js'

function fakeClock(start = 1_000) {
  let now = start
  return {
    clock: () => now,
    advance: (ms: number) => {
      now += ms
    },
  }
}

describe('createRateLimiter', () => {
  it('defaults to 60 uploads per minute', () => {
    expect(defaultRateLimiterOptions).toMatchObject({ limit: 60, windowMs: 60_000 })
    const { clock } = fakeClock()
    const limiter = createRateLimiter({ clock })
    const decisions = Array.from({ length: 61 }, () => limiter.take('ada'))
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(60)
    expect(decisions.at(-1)).toEqual({ allowed: false, retryAfterSeconds: 1 })
  })

  it('allows a burst of limit, then refills at limit per window', () => {
    const { clock, advance } = fakeClock()
    const limiter = createRateLimiter({ limit: 3, windowMs: 30_000, clock })
    expect([1, 2, 3].map(() => limiter.take('ada').allowed)).toEqual([true, true, true])
    expect(limiter.take('ada')).toEqual({ allowed: false, retryAfterSeconds: 10 })
    advance(9_999)
    expect(limiter.take('ada')).toEqual({ allowed: false, retryAfterSeconds: 1 })
    advance(1)
    expect(limiter.take('ada')).toEqual({ allowed: true, retryAfterSeconds: 0 })
    expect(limiter.take('ada').allowed).toBe(false)
  })

  it('refused attempts cost nothing', () => {
    const { clock, advance } = fakeClock()
    const limiter = createRateLimiter({ limit: 1, windowMs: 1_000, clock })
    limiter.take('ada')
    const refused = Array.from({ length: 10 }, () => limiter.take('ada').allowed)
    expect(refused.every((allowed) => !allowed)).toBe(true)
    advance(1_000)
    expect(limiter.take('ada').allowed).toBe(true)
  })

  it('counts each user apart', () => {
    const { clock } = fakeClock()
    const limiter = createRateLimiter({ limit: 1, windowMs: 1_000, clock })
    expect(limiter.take('ada').allowed).toBe(true)
    expect(limiter.take('ada').allowed).toBe(false)
    expect(limiter.take('grace').allowed).toBe(true)
  })

  it('never holds more than limit after a long idle', () => {
    const { clock, advance } = fakeClock()
    const limiter = createRateLimiter({ limit: 2, windowMs: 1_000, clock })
    limiter.take('ada')
    advance(3_600_000)
    expect([1, 2, 3].map(() => limiter.take('ada').allowed)).toEqual([true, true, false])
  })

  it('does not refill when the clock steps back', () => {
    const { clock, advance } = fakeClock(10_000)
    const limiter = createRateLimiter({ limit: 1, windowMs: 1_000, clock })
    limiter.take('ada')
    advance(-5_000)
    expect(limiter.take('ada').allowed).toBe(false)
    advance(1_000)
    expect(limiter.take('ada').allowed).toBe(true)
  })

  it('forgets users idle for a window, which changes no answer', () => {
    const { clock, advance } = fakeClock()
    const limiter = createRateLimiter({ limit: 2, windowMs: 1_000, clock })
    for (const user of ['a', 'b', 'c']) limiter.take(user)
    expect(limiter.size).toBe(3)
    advance(1_000)
    limiter.take('d')
    limiter.take('e')
    expect(limiter.size).toBe(2)
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, false])
  })

  it('stays within maxUsers under a flood of ids, forgetting the least recently seen', () => {
    const { clock } = fakeClock()
    const limiter = createRateLimiter({ limit: 1, windowMs: 60_000, clock, maxUsers: 100 })
    limiter.take('ada')
    for (let user = 0; user < 10_000; user += 1) limiter.take(`bot-${user}`)
    expect(limiter.size).toBe(100)
    expect(limiter.take('bot-9999').allowed).toBe(false)
    expect(limiter.take('ada').allowed).toBe(true)
  })

  it.each([
    { limit: 0 },
    { limit: 1.5 },
    { windowMs: -1 },
    { windowMs: Number.NaN },
    { maxUsers: 0 },
  ])('refuses %j', (options) => {
    expect(() => createRateLimiter(options)).toThrow(/^ferry-server: rate limiter \w+ must be/)
  })
})
