import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { formatSha256Digest, parseSha256Digest } from './digest.js'

describe('Repr-Digest sha-256', () => {
  it('round-trips the digest of real bytes', () => {
    const bytes = Buffer.from('ferry carries files')
    const digest = createHash('sha256').update(bytes).digest()
    const header = formatSha256Digest(digest)
    expect(header).toBe(`sha-256=:${digest.toString('base64')}:`)
    expect(parseSha256Digest(header)).toBe(digest.toString('hex'))
  })

  it('matches the RFC 9530 example for an empty body', () => {
    expect(parseSha256Digest('sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
  })

  it('picks sha-256 out of a dictionary with other algorithms', () => {
    const empty = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='
    expect(parseSha256Digest(`sha-512=:AAAA:, sha-256=:${empty}:`)).toMatch(/^e3b0c442/)
  })

  it('returns undefined when no sha-256 member is present', () => {
    expect(parseSha256Digest('sha-512=:AAAA:')).toBeUndefined()
  })

  it.each([
    ['not a byte sequence', 'sha-256=abc'],
    ['wrong length', 'sha-256=:AAAA:'],
    ['broken base64', 'sha-256=:!!!!:'],
  ])('rejects %s', (_label, header) => {
    expect(() => parseSha256Digest(header)).toThrow(RangeError)
  })
})
