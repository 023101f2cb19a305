import { DIGEST_HEADER } from '@ferry/protocol'
import type { MiddlewareHandler } from 'hono'
import { FerryHttpError } from '../errors.js'
import { parseClaimedDigest } from './createFinalizer.js'

/**
 * Refuses a tus PATCH or POST whose `Repr-Digest` is malformed before its body is read, so the
 * refusal changes nothing: no byte stored, no final upload made. (The digest is otherwise read
 * only once the upload is complete, after its bytes are in.)
 */
export function rejectMalformedDigest(refuse: (error: FerryHttpError, origin: string | undefined) => Response): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header(DIGEST_HEADER)
    if (header === undefined || (c.req.method !== 'PATCH' && c.req.method !== 'POST')) return next()
    try {
      parseClaimedDigest(header)
    } catch (error) {
      if (error instanceof FerryHttpError) return refuse(error, c.req.header('origin'))
      throw error
    }
    return next()
  }
}
