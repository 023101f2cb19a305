import { describe, expect, it } from 'vitest'
import { classifyFailure, type FailureInfo } from './classifyFailure.js'

const now = Date.parse('2025-01-01T00:00:00Z')

function answer(status: number, retryAfter: string | null = null): FailureInfo {
  return { status, retryAfter, isNetworkError: false, isStall: false }
}

describe('classifyFailure', () => {
  it('retries network errors and stalls, re-reading the offset', () => {
    expect(classifyFailure({ isNetworkError: true, isStall: false })).toEqual({
      retry: true,
      reason: 'network',
      reReadOffset: true,
    })
    expect(classifyFailure({ isNetworkError: false, isStall: true })).toEqual({
      retry: true,
      reason: 'stalled',
      reReadOffset: true,
    })
  })

  it.each([
    [500, 'server-error', true],
    [502, 'server-error', true],
    [503, 'server-error', true],
    [504, 'server-error', true],
    [408, 'stalled', true],
    [409, 'conflict', true],
    [423, 'locked', true],
    [429, 'rate-limited', false],
  ] as const)('retries %i as %s (reReadOffset %s)', (status, reason, reReadOffset) => {
    expect(classifyFailure(answer(status))).toEqual({ retry: true, reason, reReadOffset })
  })

  it.each([
    [400, 'rejected'],
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [404, 'gone'],
    [410, 'gone'],
    [413, 'rejected'],
    [415, 'rejected'],
    [422, 'rejected'],
    [460, 'checksum-mismatch'],
    [501, 'rejected'],
    [200, 'unexpected'],
    [302, 'unexpected'],
  ] as const)('does not retry %i (%s)', (status, reason) => {
    const decision = classifyFailure(answer(status, '1'))
    expect(decision).toEqual({ retry: false, reason, reReadOffset: false })
  })

  it('does not retry a failure that is neither a response nor a network error', () => {
    expect(classifyFailure({ isNetworkError: false, isStall: false }).retry).toBe(false)
  })

  it('honours Retry-After in seconds or as a date on a retried answer', () => {
    expect(classifyFailure(answer(429, '7'), { now }).delay).toBe(7000)
    const date = 'Wed, 01 Jan 2025 00:00:20 GMT'
    expect(classifyFailure(answer(503, date), { now }).delay).toBe(20_000)
  })

  it('caps Retry-After and ignores a malformed one', () => {
    expect(classifyFailure(answer(429, '86400'), { now }).delay).toBe(60_000)
    expect(classifyFailure(answer(429, '86400'), { now, maxRetryAfter: 5000 }).delay).toBe(5000)
    expect(classifyFailure(answer(429, 'later'), { now })).not.toHaveProperty('delay')
  })
})
