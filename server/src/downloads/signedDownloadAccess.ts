import { ERROR_CODES } from '@ferry/protocol'
import type { Context, MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'
import type { Principal } from '../auth/types.js'
import { FerryHttpError } from '../errors.js'
import type { DownloadUrlSigner } from './createDownloadUrlSigner.js'
import { carriesDownloadSignature } from './downloadSignature.js'

export interface SignedDownloadAccessOptions {
  downloadUrls: DownloadUrlSigner
  /** The path the request's signature must have been made for, from the route's parameters. */
  signedPath: (c: Context) => string
  /** Headers every error answer needs (CORS) so browsers can read it. */
  errorHeaders: (origin: string | undefined) => Record<string, string>
  logger: Logger
  /** Told of each refused signature, by reason. */
  onRefused?: (reason: 'malformed' | 'mismatch' | 'expired') => void
}

const SIGNED_DOWNLOAD = 'signedDownload'

/**
 * In front of the authentication of a download route: a GET or HEAD that carries a signature is
 * judged by it alone, and a valid one makes the request its owner's. Other methods, and requests
 * without signature parameters, pass on to the authentication untouched. A bad signature answers
 * 403 (`signature-invalid`, `signature-expired`) before anything is looked up.
 */
export function signedDownloadAccess({ downloadUrls, signedPath, errorHeaders, logger, onRefused }: SignedDownloadAccessOptions): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next()
    const query = new URL(c.req.url).searchParams
    if (!carriesDownloadSignature(query)) return next()
    const path = signedPath(c)
    const verdict = downloadUrls.verify(path, query)
    if (!verdict.valid) {
      // Never the signature itself: a log line must not be a way to a file.
      logger.info({ requestId: c.get('requestId' as never), path, reason: verdict.reason }, 'signed download refused')
      onRefused?.(verdict.reason)
      const code = verdict.reason === 'expired' ? ERROR_CODES.signatureExpired : ERROR_CODES.signatureInvalid
      return new FerryHttpError(403, code, verdict.detail).toResponse(errorHeaders(c.req.header('origin')))
    }
    const principal: Principal = { userId: verdict.owner }
    c.set('principal' as never, principal as never)
    c.set(SIGNED_DOWNLOAD as never, true as never)
    await next()
  }
}

/** Whether the request's principal came from a download signature rather than credentials. */
export function isSignedDownload(c: Context): boolean {
  return c.get(SIGNED_DOWNLOAD as never) === true
}
