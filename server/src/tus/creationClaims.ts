/**
 * What the app has established about a creation request before @tus/server creates the upload:
 * whose it is, the policy tier, and whether it is a partial upload. It travels beside the request
 * object tus hands to its creation hook, never in headers, so no client can claim any of it.
 */
export interface CreationClaims {
  owner: string
  tier?: string
  partial: boolean
}

const claims = new WeakMap<Request, CreationClaims>()

/** Marks a request as a creation the app has vetted; tus creates uploads only for such requests. */
export function claimCreation(request: Request, claim: CreationClaims): Request {
  claims.set(request, claim)
  return request
}

/** The claims of a creation request, or `undefined` for one the app never vetted. */
export function claimsOf(request: Request): CreationClaims | undefined {
  return claims.get(request)
}
