/**
 * The client's whole-file SHA-256 travels as an RFC 9530 `Repr-Digest` header on the request that
 * completes the upload (the final PATCH, or a zero-length PATCH at the final offset). The IETF
 * resumable-uploads draft uses the same header for the digest of the complete representation, so
 * servers and proxies that speak it read ours unchanged.
 *
 * @example
 * Repr-Digest: sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:
 */
export const DIGEST_HEADER = 'Repr-Digest'

/**
 * RFC 9530's way for a server to ask for a digest: Ferry's server answers OPTIONS with
 * `Want-Repr-Digest: sha-256=10`. A tus server without it (stock @tus/server, tusd) gets no
 * `Repr-Digest`, which its CORS rules would refuse from a page on another origin.
 */
export const WANT_DIGEST_HEADER = 'Want-Repr-Digest'

const SHA256_BYTES = 32

/** Formats a raw SHA-256 digest as a `Repr-Digest` structured-field value. */
export function formatSha256Digest(digest: Uint8Array): string {
  let binary = ''
  for (const byte of digest) binary += String.fromCharCode(byte)
  return `sha-256=:${btoa(binary)}:`
}

/**
 * Reads the `sha-256` member of a `Repr-Digest` value and returns it as lowercase hex.
 * Returns `undefined` when the header carries no sha-256 member; throws `RangeError` when the
 * member is present but malformed, so a broken digest is never mistaken for a missing one.
 */
export function parseSha256Digest(value: string): string | undefined {
  for (const member of value.split(',')) {
    const [rawKey, ...rest] = member.split('=')
    if (rawKey?.trim().toLowerCase() !== 'sha-256') continue
    const item = rest.join('=').trim()
    const match = /^:([A-Za-z0-9+/]+={0,2}):$/.exec(item)
    if (!match?.[1]) throw new RangeError('sha-256 must be a byte sequence (:base64:)')
    let binary: string
    try {
      binary = atob(match[1])
    } catch {
      throw new RangeError('sha-256 is not valid base64')
    }
    if (binary.length !== SHA256_BYTES) {
      throw new RangeError(`sha-256 must be ${SHA256_BYTES} bytes, got ${binary.length}`)
    }
    let hex = ''
    for (let index = 0; index < binary.length; index++) {
      hex += binary.charCodeAt(index).toString(16).padStart(2, '0')
    }
    return hex
  }
  return undefined
}
