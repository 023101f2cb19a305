import { describe, expect, it } from 'vitest'
import { parseRetryAfter } from './parseRetryAfter.js'

const now = Date.parse('1994-11-06T08:49:00Z')

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['120', 120_000],
    [' 5 ', 5000],
  ])('reads delay-seconds %j', (value, expected) => {
    expect(parseRetryAfter(value, { now })).toBe(expected)
  })

  it.each([
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ['RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT'],
    ['asctime', 'Sun Nov  6 08:49:37 1994'],
  ])('reads an HTTP date (%s) as the time left until it', (_, value) => {
    expect(parseRetryAfter(value, { now })).toBe(37_000)
  })

  it('reads a date in the past as no wait', () => {
    expect(parseRetryAfter('Sat, 05 Nov 1994 08:49:37 GMT', { now })).toBe(0)
  })

  it.each([[null], [undefined], [''], ['  '], ['-5'], ['1.5'], ['soon'], ['Sun, 99 Foo 1994']])(
    'returns undefined for %j',
    (value) => {
      expect(parseRetryAfter(value, { now })).toBeUndefined()
    },
  )
})
