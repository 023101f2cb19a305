import type { Context } from 'hono'
import { ERROR_CODES } from '@ferry/protocol'
import { FerryHttpError } from '../errors.js'
import type { Principal } from './types.js'

/** The principal the auth middleware stored; a route reached without it is a wiring bug. */
export function principalOf(c: Context): Principal {
  const principal = c.get('principal' as never) as Principal | undefined
  if (!principal) throw new FerryHttpError(401, ERROR_CODES.unauthorized, 'authentication is required')
  return principal
}
