import { ERROR_CODES } from '@ferry/protocol'
import type { MiddlewareHandler } from 'hono'
import { FerryHttpError } from '../errors.js'
import { AuthError, type Authenticate, type Principal } from './types.js'

export interface AuthMiddlewareOptions {
  authenticate: Authenticate
  /** Headers every error answer needs (CORS, Tus-Resumable) so browsers can read it. */
  errorHeaders: (origin: string | undefined) => Record<string, string>
}

/**
 * Authenticates every request but CORS preflights and those a download signature vouched for,
 * and stores the principal as `principal`.
 * No credential answers 401 with `WWW-Authenticate: Bearer`; a bad one 401 with the reason.
 */
export function createAuthMiddleware({ authenticate, errorHeaders }: AuthMiddlewareOptions): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return next()
    // A signed download URL (downloads/signedDownloadAccess.ts) already named the owner.
    if (c.get('principal' as never) !== undefined) return next()
    let principal: Principal | undefined
    try {
      principal = await authenticate(c.req.raw)
    } catch (error) {
      if (!(error instanceof AuthError)) throw error
      return unauthorized(error.message, errorHeaders(c.req.header('origin')))
    }
    if (!principal) return unauthorized('authentication is required', errorHeaders(c.req.header('origin')))
    c.set('principal' as never, principal as never)
    await next()
  }
}

function unauthorized(reason: string, headers: Record<string, string>): Response {
  return new FerryHttpError(401, ERROR_CODES.unauthorized, reason).toResponse({
    ...headers,
    'WWW-Authenticate': 'Bearer',
  })
}
