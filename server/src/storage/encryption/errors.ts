/** Why encrypted storage refused a key, a file or a read; stable, for callers and tests to test. */
export type EncryptionErrorCode =
  /** The key is not 32 bytes, or its text form is neither 64 hex characters nor base64. */
  | 'invalid-key'
  /** An option is out of range, such as a record size of 0. */
  | 'invalid-options'
  /** The file does not start with the `FERRYENC` header: it was stored without encryption. */
  | 'not-encrypted'
  /** The header names a format version this code cannot read. */
  | 'unsupported-version'
  /** The header does not match this key and file id: a wrong key, a moved or damaged file. */
  | 'key-mismatch'
  /** A record failed its GCM tag: tampered with, moved, reordered or damaged. */
  | 'record-corrupt'
  /** The file ends before the bytes asked for, or before its final record. */
  | 'truncated'
  /** A read asked for bytes outside what is stored. */
  | 'out-of-range'
  /** A file would need more records than one key may safely encrypt under random nonces. */
  | 'too-large'

/**
 * An error of encryption at rest. Decryption never yields plaintext whose tag did not verify: it
 * fails with this error instead (code `'record-corrupt'`, `'key-mismatch'`, ...).
 * @example
 * try {
 *   await pipeline(await store.readRange(id, { start: 0, end: 99 }), response)
 * } catch (error) {
 *   if (error instanceof EncryptionError && error.code === 'record-corrupt') alertOperator(error)
 * }
 */
export class EncryptionError extends Error {
  override name = 'EncryptionError'
  constructor(
    readonly code: EncryptionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`ferry-server: ${message}`, options)
  }
}
