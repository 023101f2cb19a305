import { DOWNLOAD_URL_DEFAULTS, MAX_DOWNLOAD_URL_TTL_SECONDS } from '../downloads/createDownloadUrlSigner.js'
import type { EnvironmentReaders } from './environmentReaders.js'

export interface DownloadUrlConfig {
  /**
   * Key of the signed download URLs; when unset, one is derived from `FERRY_JWT_SECRET` (see
   * downloads/downloadSigningKey.ts), and without that either, the server signs no URLs.
   */
  secret: string | undefined
  /** How long a signed URL works, in seconds; also the longest a client may ask for. */
  ttlSeconds: number
}

const MIN_SECRET_LENGTH = 32

/** `FERRY_DOWNLOAD_URL_SECRET` and `FERRY_DOWNLOAD_URL_TTL_SECONDS`. */
export function loadDownloadUrlConfig(read: EnvironmentReaders, problems: string[]): DownloadUrlConfig {
  const secret = read.optional('FERRY_DOWNLOAD_URL_SECRET')
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    problems.push(`FERRY_DOWNLOAD_URL_SECRET must be at least ${MIN_SECRET_LENGTH} characters (openssl rand -hex 32), got ${secret.length}`)
  }
  const ttlSeconds = read.integer('FERRY_DOWNLOAD_URL_TTL_SECONDS', DOWNLOAD_URL_DEFAULTS.ttlSeconds, {
    min: 1,
    max: MAX_DOWNLOAD_URL_TTL_SECONDS,
  })
  return { secret, ttlSeconds }
}
