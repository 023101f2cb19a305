/** Who is making a request, as far as uploads are concerned. */
export interface Principal {
  /** Stable id of the user; uploads are owned by it and visible only to it. */
  userId: string
  /** The user's policy tier, when the token names one. */
  tier?: string
}

/**
 * Decides who a request comes from. Resolve `undefined` for "not authenticated" (answered 401);
 * throw an `AuthError` for a credential that is present but wrong.
 *
 * @example
 * const authenticate: Authenticate = async (request) => {
 *   const session = await sessions.get(request.headers.get('cookie'))
 *   return session && { userId: session.userId }
 * }
 */
export type Authenticate = (request: Request) => Promise<Principal | undefined>

/** A credential was presented but is not acceptable (bad signature, expired, wrong audience). */
export class AuthError extends Error {
  override name = 'AuthError'
}
