import { describe, expect, it } from 'vitest'
import { matchesIfNoneMatch, rangeApplies } from './conditionalRequests.js'

const etag = '"sha256-abc"'

describe('matchesIfNoneMatch', () => {
  it('matches the tag, its weak form, any of a list, and *', () => {
    expect(matchesIfNoneMatch(etag, etag)).toBe(true)
    expect(matchesIfNoneMatch('W/"sha256-abc"', etag)).toBe(true)
    expect(matchesIfNoneMatch('"other", "sha256-abc"', etag)).toBe(true)
    expect(matchesIfNoneMatch(' * ', etag)).toBe(true)
  })

  it('does not match other tags, garbage or no header', () => {
    expect(matchesIfNoneMatch('"other"', etag)).toBe(false)
    expect(matchesIfNoneMatch('sha256-abc', etag)).toBe(false)
    expect(matchesIfNoneMatch(undefined, etag)).toBe(false)
  })
})

describe('rangeApplies', () => {
  it('applies without If-Range and with the exact tag', () => {
    expect(rangeApplies(undefined, etag)).toBe(true)
    expect(rangeApplies(etag, etag)).toBe(true)
  })

  it('does not apply for another tag, a weak tag or a date', () => {
    expect(rangeApplies('"other"', etag)).toBe(false)
    expect(rangeApplies('W/"sha256-abc"', etag)).toBe(false)
    expect(rangeApplies('Wed, 21 Oct 2015 07:28:00 GMT', etag)).toBe(false)
  })
})
