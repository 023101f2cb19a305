import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { carriesDownloadSignature, downloadQuery, signDownload, verifyDownload } from './downloadSignature.js'

const KEY = Buffer.from('k'.repeat(32))
const NOW = 1_800_000_000
const GRANT = { path: '/files/4f1c', owner: 'alice', expiresAt: NOW + 60 }

const queryOf = (grant = GRANT, key = KEY) => new URLSearchParams(downloadQuery(key, grant))
const withParam = (query: URLSearchParams, name: string, value: string) => {
  const copy = new URLSearchParams(query)
  copy.set(name, value)
  return copy
}

describe('download signatures', () => {
  it('round-trips: a URL verifies for its path and names its owner and expiry', () => {
    const query = queryOf()
    expect(query.get('owner')).toBe('alice')
    expect(query.get('expires')).toBe(String(NOW + 60))
    expect(query.get('signature')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(verifyDownload(KEY, GRANT.path, query, NOW)).toEqual({ valid: true, owner: 'alice', expiresAt: NOW + 60 })
  })

  it('is HMAC-SHA256 of the canonical JSON array, base64url', () => {
    const expected = createHmac('sha256', KEY)
      .update(JSON.stringify(['ferry-download-v1', '/files/4f1c', 'alice', NOW + 60]))
      .digest('base64url')
    expect(signDownload(KEY, GRANT)).toBe(expected)
  })

  it('refuses another path, another output, another owner, another expiry, another key', () => {
    const query = queryOf()
    expect(verifyDownload(KEY, '/files/4f1d', query, NOW)).toMatchObject({ valid: false, reason: 'mismatch' })
    const output = queryOf({ ...GRANT, path: '/api/files/4f1c/outputs/thumb_150.jpg' })
    expect(verifyDownload(KEY, '/api/files/4f1c/outputs/thumb_150.jpg', output, NOW).valid).toBe(true)
    expect(verifyDownload(KEY, '/api/files/4f1c/outputs/thumb_600.jpg', output, NOW)).toMatchObject({ reason: 'mismatch' })
    expect(verifyDownload(KEY, '/files/4f1c', output, NOW)).toMatchObject({ reason: 'mismatch' })
    expect(verifyDownload(KEY, GRANT.path, withParam(query, 'owner', 'bob'), NOW)).toMatchObject({ reason: 'mismatch' })
    expect(verifyDownload(KEY, GRANT.path, withParam(query, 'expires', String(NOW + 61)), NOW)).toMatchObject({ reason: 'mismatch' })
    expect(verifyDownload(Buffer.from('x'.repeat(32)), GRANT.path, query, NOW)).toMatchObject({ reason: 'mismatch' })
  })

  it('refuses every one-character change of the signature, the spare bits of the last one included', () => {
    const query = queryOf()
    const signature = query.get('signature') as string
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    for (const index of [0, 21, 42]) {
      for (const replacement of alphabet) {
        if (replacement === signature[index]) continue
        const tampered = `${signature.slice(0, index)}${replacement}${signature.slice(index + 1)}`
        const verdict = verifyDownload(KEY, GRANT.path, withParam(query, 'signature', tampered), NOW)
        expect(verdict, `${index}: ${replacement}`).toMatchObject({ valid: false, reason: 'mismatch' })
      }
    }
  })

  it('keeps fields apart whatever they hold', () => {
    const tricky = { path: '/files/a', owner: 'alice","/files/b', expiresAt: NOW + 60 }
    const query = queryOf(tricky)
    expect(verifyDownload(KEY, '/files/a', query, NOW).valid).toBe(true)
    expect(verifyDownload(KEY, '/files/a","alice', query, NOW)).toMatchObject({ reason: 'mismatch' })
  })

  it('expires at its expiry second, and says so only of a genuine signature', () => {
    const query = queryOf()
    expect(verifyDownload(KEY, GRANT.path, query, NOW + 59).valid).toBe(true)
    expect(verifyDownload(KEY, GRANT.path, query, NOW + 60)).toMatchObject({ valid: false, reason: 'expired' })
    const past = queryOf({ ...GRANT, expiresAt: NOW - 1 })
    expect(verifyDownload(KEY, GRANT.path, past, NOW)).toMatchObject({ reason: 'expired', detail: expect.stringContaining('expired at') })
    // A forged signature with a past expiry is not called expired: it was never valid.
    expect(verifyDownload(KEY, GRANT.path, withParam(past, 'owner', 'bob'), NOW)).toMatchObject({ reason: 'mismatch' })
  })

  it.each([
    ['no parameters', ''],
    ['no signature', 'owner=alice&expires=1800000060'],
    ['no owner', 'expires=1800000060&signature=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['an empty owner', 'owner=&expires=1800000060&signature=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a non-numeric expiry', 'owner=alice&expires=soon&signature=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a negative expiry', 'owner=alice&expires=-5&signature=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a fractional expiry', 'owner=alice&expires=1800000060.5&signature=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a huge expiry', `owner=alice&expires=${'9'.repeat(400)}&signature=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`],
    ['standard base64', 'owner=alice&expires=1800000060&signature=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%2B'],
    ['padding', 'owner=alice&expires=1800000060&signature=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D'],
    ['a short signature', 'owner=alice&expires=1800000060&signature=AAAA'],
    ['a long signature', `owner=alice&expires=1800000060&signature=${'A'.repeat(44)}`],
    ['an empty signature', 'owner=alice&expires=1800000060&signature='],
  ])('calls %s malformed and does not throw', (_label, search) => {
    expect(verifyDownload(KEY, GRANT.path, new URLSearchParams(search), NOW)).toMatchObject({ valid: false, reason: 'malformed' })
  })

  it.each(['owner', 'expires', 'signature'])('calls a repeated %s malformed, even when one of them is right', (name) => {
    const query = queryOf()
    query.append(name, query.get(name) as string)
    expect(verifyDownload(KEY, GRANT.path, query, NOW)).toMatchObject({
      valid: false,
      reason: 'malformed',
      detail: `the URL must carry "${name}" once, it carries it 2 times`,
    })
  })

  it('tells requests that mean to be signed from those that do not', () => {
    expect(carriesDownloadSignature(new URLSearchParams('download=1'))).toBe(false)
    expect(carriesDownloadSignature(new URLSearchParams('expires=1'))).toBe(true)
    expect(carriesDownloadSignature(new URLSearchParams('signature='))).toBe(true)
  })
})
