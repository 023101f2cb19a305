import { describe, expect, it } from 'vitest'
import { createDownloadUrlSigner } from './createDownloadUrlSigner.js'
import { downloadSigningKey } from './downloadSigningKey.js'

const KEY = Buffer.from('k'.repeat(32))

describe('createDownloadUrlSigner', () => {
  it('signs a URL on the origin for the configured lifetime, which verifies until it ends', () => {
    let now = 1_800_000_000_500
    const signer = createDownloadUrlSigner({ key: KEY, ttlSeconds: 600, now: () => now })
    const signed = signer.sign({ origin: 'https://files.example', path: '/files/abc', owner: 'auth0|42' })
    const url = new URL(signed.url)
    expect(url.origin + url.pathname).toBe('https://files.example/files/abc')
    expect(url.searchParams.get('owner')).toBe('auth0|42')
    expect(signed.expiresAt.toISOString()).toBe(new Date(1_800_000_600_000).toISOString())
    expect(signer.verify('/files/abc', url.searchParams)).toEqual({ valid: true, owner: 'auth0|42', expiresAt: 1_800_000_600 })
    now += 600_000
    expect(signer.verify('/files/abc', url.searchParams)).toMatchObject({ valid: false, reason: 'expired' })
  })

  it('grants shorter lifetimes on request, never longer ones', () => {
    const signer = createDownloadUrlSigner({ key: KEY, ttlSeconds: 600, now: () => 0 })
    expect(signer.sign({ origin: 'http://x', path: '/files/a', owner: 'a', ttlSeconds: 5 }).expiresAt.getTime()).toBe(5000)
    expect(() => signer.sign({ origin: 'http://x', path: '/files/a', owner: 'a', ttlSeconds: 601 })).toThrow(/1 to 600 seconds, got 601/)
    expect(() => signer.sign({ origin: 'http://x', path: '/files/a', owner: 'a', ttlSeconds: 0 })).toThrow(RangeError)
  })

  it('refuses a short key and a lifetime outside 1 s to 7 days', () => {
    expect(() => createDownloadUrlSigner({ key: Buffer.alloc(31) })).toThrow(/at least 32 bytes, got 31/)
    expect(() => createDownloadUrlSigner({ key: KEY, ttlSeconds: 0 })).toThrow(/from 1 to 604800/)
    expect(() => createDownloadUrlSigner({ key: KEY, ttlSeconds: 604_801 })).toThrow(/from 1 to 604800/)
    expect(createDownloadUrlSigner({ key: KEY }).ttlSeconds).toBe(3600)
  })
})

describe('downloadSigningKey', () => {
  const jwtSecret = 'a-shared-secret-of-at-least-32-characters!'

  it('uses the secret of its own first', () => {
    expect(downloadSigningKey({ secret: 's'.repeat(32), jwtSecret })?.toString()).toBe('s'.repeat(32))
  })

  it('derives a key from the JWT secret that is not the JWT secret, the same on every instance', () => {
    const derived = downloadSigningKey({ jwtSecret })
    expect(derived?.length).toBe(32)
    expect(derived?.toString('latin1')).not.toContain(jwtSecret)
    expect(derived?.equals(Buffer.from(jwtSecret))).toBe(false)
    expect(downloadSigningKey({ jwtSecret })?.equals(derived as Buffer)).toBe(true)
    expect(downloadSigningKey({ jwtSecret: `${jwtSecret}.` })?.equals(derived as Buffer)).toBe(false)
  })

  it('gives none without either secret: signed URLs are off', () => {
    expect(downloadSigningKey({})).toBeUndefined()
  })
})
