import { EncryptionError } from './errors.js'

const HEX_KEY = /^[0-9a-f]{64}$/i
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/
const HOW_TO = 'generate one with `openssl rand -hex 32`'

/**
 * Reads a 32-byte AES-256 key from its text form, such as `FERRY_ENCRYPTION_KEY`: 64 hex
 * characters, or the base64 (standard or URL-safe, padded or not) of 32 bytes. It is a key, not a
 * password: nothing stretches a short secret into one. Messages never repeat the value.
 * @example
 * const key = parseEncryptionKey(process.env.FERRY_ENCRYPTION_KEY ?? '')
 */
export function parseEncryptionKey(value: string): Buffer {
  const text = value.trim()
  if (text === '') throw invalid(`the encryption key is empty; ${HOW_TO}`)
  let key: Buffer
  if (HEX_KEY.test(text)) {
    key = Buffer.from(text, 'hex')
  } else if (BASE64.test(text)) {
    key = Buffer.from(text, 'base64')
    if (key.length !== 32) {
      throw invalid(
        'the encryption key must be 64 hex characters or the base64 of 32 bytes; ' +
          `its ${text.length} characters decode to ${key.length} bytes (${HOW_TO})`,
      )
    }
  } else {
    const length = `${text.length} characters`
    throw invalid(`the encryption key is neither hex nor base64 (${length}); ${HOW_TO}`)
  }
  // All bytes alike (64 zeros, say) is a placeholder left in a config file, not a random key.
  if (key.every((byte) => byte === key[0])) {
    throw invalid(`the encryption key has the same value in all 32 bytes, a placeholder; ${HOW_TO}`)
  }
  return key
}

function invalid(message: string): EncryptionError {
  return new EncryptionError('invalid-key', message)
}
