import type { Logger } from 'pino'
import type { ServerConfig } from '../config/loadConfig.js'
import { createDownloadUrlSigner, type DownloadUrlSigner } from './createDownloadUrlSigner.js'
import { downloadSigningKey } from './downloadSigningKey.js'

export interface ConfiguredDownloadUrlsOptions {
  config: Pick<ServerConfig, 'auth' | 'downloadUrls'>
  logger: Logger
  /** Downloads need credentials (anything but the anonymous demo), so it is worth saying when URLs are off. */
  credentialsRequired: boolean
}

/**
 * The signer a validated configuration names, or none; says once at start-up where its key comes
 * from, or that there are no signed URLs where downloads need credentials.
 */
export function configuredDownloadUrls({ config, logger, credentialsRequired }: ConfiguredDownloadUrlsOptions): DownloadUrlSigner | undefined {
  const jwtSecret = config.auth.kind === 'jwt' ? config.auth.secret : undefined
  const key = downloadSigningKey({ secret: config.downloadUrls.secret, jwtSecret })
  if (!key) {
    if (credentialsRequired) {
      logger.info('signed download URLs are off: set FERRY_DOWNLOAD_URL_SECRET to serve files to <img> and links without a token')
    }
    return undefined
  }
  const source = config.downloadUrls.secret !== undefined ? 'FERRY_DOWNLOAD_URL_SECRET' : 'a key derived from FERRY_JWT_SECRET'
  logger.info({ ttlSeconds: config.downloadUrls.ttlSeconds }, `signed download URLs are on, signed with ${source}`)
  return createDownloadUrlSigner({ key, ttlSeconds: config.downloadUrls.ttlSeconds })
}
