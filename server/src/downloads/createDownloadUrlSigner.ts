import { type DownloadVerdict, downloadQuery, verifyDownload } from './downloadSignature.js'

export interface DownloadUrlSignerOptions {
  /** The HMAC key, 32 bytes or more (see `downloadSigningKey`). */
  key: Uint8Array
  /**
   * How long a URL works, in seconds; also the longest lifetime `sign` grants.
   * @default 3600
   */
  ttlSeconds?: number
  /** The clock, in milliseconds. @default Date.now */
  now?: () => number
}

export const DOWNLOAD_URL_DEFAULTS = { ttlSeconds: 3600 } as const
/** S3's limit for presigned URLs: a leaked URL opens a file for a week at most. */
export const MAX_DOWNLOAD_URL_TTL_SECONDS = 7 * 24 * 3600
const MIN_KEY_BYTES = 32

/** A signed download URL and the moment it stops working. */
export interface SignedDownloadUrl {
  url: string
  expiresAt: Date
}

export interface DownloadUrlSigner {
  /** The lifetime of the URLs it signs, and the longest one it grants. */
  readonly ttlSeconds: number
  /** A URL of `path` on `origin` that reads it as `owner` without credentials, for `ttlSeconds` (at most the configured lifetime). */
  sign(target: { origin: string; path: string; owner: string; ttlSeconds?: number }): SignedDownloadUrl
  /** Judges the signature a request to `path` carries in `query`. */
  verify(path: string, query: URLSearchParams): DownloadVerdict
}

/**
 * Makes and checks signed download URLs with one key: what the server hands out in file
 * descriptions, and what the download routes accept instead of credentials.
 *
 * @example
 * const downloadUrls = createDownloadUrlSigner({ key: downloadSigningKey({ secret: process.env.DOWNLOAD_SECRET }) })
 * const app = createApp({ config, backend, logger, downloadUrls })
 */
export function createDownloadUrlSigner(options: DownloadUrlSignerOptions): DownloadUrlSigner {
  const { key, ttlSeconds, now } = { ...DOWNLOAD_URL_DEFAULTS, now: Date.now, ...options }
  if (key.byteLength < MIN_KEY_BYTES) {
    throw new RangeError(`ferry-server: the download URL key must be at least ${MIN_KEY_BYTES} bytes, got ${key.byteLength}`)
  }
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_DOWNLOAD_URL_TTL_SECONDS) {
    throw new RangeError(`ferry-server: ttlSeconds must be a whole number from 1 to ${MAX_DOWNLOAD_URL_TTL_SECONDS}, got ${ttlSeconds}`)
  }
  const nowSeconds = () => Math.floor(now() / 1000)
  return {
    ttlSeconds,
    sign({ origin, path, owner, ttlSeconds: lifetime = ttlSeconds }) {
      if (!Number.isSafeInteger(lifetime) || lifetime < 1 || lifetime > ttlSeconds) {
        throw new RangeError(`ferry-server: a download URL lives from 1 to ${ttlSeconds} seconds, got ${lifetime}`)
      }
      const expiresAt = nowSeconds() + lifetime
      return {
        url: `${origin}${path}?${downloadQuery(key, { path, owner, expiresAt })}`,
        expiresAt: new Date(expiresAt * 1000),
      }
    },
    verify: (path, query) => verifyDownload(key, path, query, nowSeconds()),
  }
}
