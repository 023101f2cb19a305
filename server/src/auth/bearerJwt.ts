import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { AuthError, type Authenticate } from './types.js'

export type BearerJwtOptions = (
  | { secret: string; jwksUrl?: undefined }
  | { jwksUrl: string; secret?: undefined }
) & {
  /** Required `iss` claim, when set. @default undefined */
  issuer?: string
  /** Required `aud` claim, when set. @default undefined */
  audience?: string
  /** Claim that names the user's policy tier. @default 'tier' */
  tierClaim?: string
}

/**
 * Bearer JWT authentication with jose: HS256 with a shared secret, or RS256/ES256 with keys from a
 * JWKS URL (fetched and cached by jose). The user is the token's `sub`.
 *
 * @example
 * const authenticate = bearerJwt({ jwksUrl: 'https://auth.example.com/.well-known/jwks.json' })
 */
export function bearerJwt(options: BearerJwtOptions): Authenticate {
  const key: Uint8Array | JWTVerifyGetKey = options.secret
    ? new TextEncoder().encode(options.secret)
    : createRemoteJWKSet(new URL(options.jwksUrl ?? ''))
  const algorithms = options.secret ? ['HS256'] : ['RS256', 'ES256']
  const tierClaim = options.tierClaim ?? 'tier'

  return async (request) => {
    const header = request.headers.get('authorization')
    if (!header) return undefined
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    if (!match?.[1]) throw new AuthError('the Authorization header must be "Bearer <token>"')
    try {
      const { payload } = await jwtVerify(match[1], key as Uint8Array, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
      })
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        throw new AuthError('the token has no subject (sub)')
      }
      const tier = payload[tierClaim]
      return { userId: payload.sub, ...(typeof tier === 'string' ? { tier } : {}) }
    } catch (error) {
      if (error instanceof AuthError) throw error
      if (error instanceof errors.JOSEError) throw new AuthError(`the token was refused: ${error.message}`)
      throw error
    }
  }
}
