import { createHmac } from 'node:crypto'

// Fixed, so every instance sharing a JWT secret derives the same key; versioned, to rotate it.
const DERIVATION_LABEL = 'ferry-server download URL signing key v1'

export interface DownloadSigningKeyOptions {
  /** A secret of its own for download URLs (`FERRY_DOWNLOAD_URL_SECRET`). */
  secret?: string
  /** The HS256 secret of bearer tokens (`FERRY_JWT_SECRET`), used when `secret` is not set. */
  jwtSecret?: string
}

/**
 * The key that signs download URLs: the secret of their own, else one derived from the JWT secret
 * (an HMAC of a fixed label, so the token key itself never signs anything but tokens, and a
 * download signature can never pass for a token), else none: signed URLs are off.
 *
 * @example
 * const key = downloadSigningKey({ secret: config.downloadUrls.secret, jwtSecret: config.auth.secret })
 */
export function downloadSigningKey({ secret, jwtSecret }: DownloadSigningKeyOptions): Buffer | undefined {
  if (secret !== undefined) return Buffer.from(secret, 'utf8')
  if (jwtSecret !== undefined) return createHmac('sha256', jwtSecret).update(DERIVATION_LABEL).digest()
  return undefined
}
