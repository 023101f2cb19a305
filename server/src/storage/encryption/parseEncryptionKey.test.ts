import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { EncryptionError } from './errors.js'
import { parseEncryptionKey } from './parseEncryptionKey.js'

describe('parseEncryptionKey', () => {
  const key = randomBytes(32)

  it('reads 64 hex characters and every base64 spelling of 32 bytes', () => {
    const base64 = key.toString('base64')
    for (const text of [
      key.toString('hex'),
      key.toString('hex').toUpperCase(),
      base64,
      base64.replace(/=+$/, ''),
      key.toString('base64url'),
      `  ${key.toString('hex')}\n`,
    ]) {
      expect(parseEncryptionKey(text).equals(key), text).toBe(true)
    }
  })

  it.each([
    ['empty', '', /is empty/],
    ['62 hex characters', key.toString('hex').slice(0, 62), /62 characters decode to 46 bytes/],
    ['base64 of 31 bytes', randomBytes(31).toString('base64'), /decode to 31 bytes/],
    ['a password', 'correct horse battery staple!', /neither hex nor base64/],
    ['a placeholder', '0'.repeat(64), /same value in all 32 bytes/],
  ])('refuses %s with a typed error that never repeats the value', (_, text, message) => {
    const attempt = () => parseEncryptionKey(text)
    expect(attempt).toThrow(EncryptionError)
    expect(attempt).toThrow(message)
    try {
      attempt()
    } catch (error) {
      const message = expect.stringMatching(/^ferry-server: /)
      expect(error).toMatchObject({ code: 'invalid-key', message })
      if (text.length > 8) expect((error as Error).message).not.toContain(text.trim())
      expect((error as Error).message).toContain('openssl rand -hex 32')
    }
  })
})
