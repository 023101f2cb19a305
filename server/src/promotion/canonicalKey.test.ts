import { describe, expect, it } from 'vitest'
import { canonicalKeyOf, uploadIdOfCanonicalKey, userSegmentOf } from './canonicalKey.js'

describe('canonicalKeyOf', () => {
  it('builds uploads/{user}/{category}/{yyyy}/{mm}/{dd}/{id}{ext} from the UTC day', () => {
    const finishedAt = new Date('2026-01-05T23:30:00-02:00') // 2026-01-06 01:30 UTC
    expect(
      canonicalKeyOf({
        user: 'alice',
        category: 'images',
        finishedAt,
        id: 'abc123',
        extension: '.png',
      }),
    ).toBe('uploads/alice/images/2026/01/06/abc123.png')
    expect(
      canonicalKeyOf({ user: 'bob', category: 'others', finishedAt, id: 'abc123', extension: '' }),
    ).toBe('uploads/bob/others/2026/01/06/abc123')
  })
})

describe('userSegmentOf', () => {
  it('keeps plain ids and encodes the rest into one segment', () => {
    expect(userSegmentOf('alice')).toBe('alice')
    expect(userSegmentOf('jane.doe')).toBe('jane.doe')
    expect(userSegmentOf('auth0|42')).toBe('auth0%7C42')
    expect(userSegmentOf('a/b')).toBe('a%2Fb')
    expect(userSegmentOf('%2F')).toBe('%252F')
    expect(userSegmentOf('zoë')).toBe('zo%C3%AB')
  })

  it('cannot form . or .. or an empty segment', () => {
    expect(userSegmentOf('..')).toBe('%2E.')
    expect(userSegmentOf('.')).toBe('%2E')
    expect(userSegmentOf('.hidden')).toBe('%2Ehidden')
    expect(userSegmentOf('')).toBe('%00')
  })

  it('is one-to-one for different ids', () => {
    const ids = ['a b', 'a+b', 'a%20b', 'a_b', 'a-b', 'A b']
    expect(new Set(ids.map(userSegmentOf)).size).toBe(ids.length)
  })

  it('hashes very long ids', () => {
    const segment = userSegmentOf('x'.repeat(500))
    expect(segment).toMatch(/^sha256-[0-9a-f]{64}$/)
    expect(userSegmentOf('x'.repeat(500))).toBe(segment)
  })
})

describe('uploadIdOfCanonicalKey', () => {
  it('reads the id back from a canonical key, and nothing from other keys', () => {
    expect(uploadIdOfCanonicalKey('uploads/alice/images/2026/11/28/abc123.png')).toBe('abc123')
    expect(uploadIdOfCanonicalKey('uploads/auth0%7C42/others/2026/11/28/abc123')).toBe('abc123')
    expect(uploadIdOfCanonicalKey('uploads/abc123')).toBeUndefined()
    expect(uploadIdOfCanonicalKey('derived/abc123_thumb_300.jpg')).toBeUndefined()
    expect(uploadIdOfCanonicalKey('abc123')).toBeUndefined()
  })
})
