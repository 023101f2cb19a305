import type { BearerJwtOptions } from '../auth/bearerJwt.js'
import type { EnvironmentReaders } from './environmentReaders.js'

/** `anonymous` (the demo: everyone is one user) or bearer JWTs. */
export type AuthConfig = { kind: 'anonymous' } | ({ kind: 'jwt' } & BearerJwtOptions)

/** The auth variables (`FERRY_AUTH`, `FERRY_JWT_SECRET`, `FERRY_JWKS_URL`, …). */
export function loadAuthConfig(read: EnvironmentReaders, problems: string[]): AuthConfig {
  const kind = read.oneOf('FERRY_AUTH', ['anonymous', 'jwt'] as const, 'anonymous')
  if (kind === 'anonymous') return { kind }
  const secret = read.optional('FERRY_JWT_SECRET')
  const jwksUrl = read.optional('FERRY_JWKS_URL')
  if ((secret === undefined) === (jwksUrl === undefined)) {
    problems.push('FERRY_AUTH=jwt needs exactly one of FERRY_JWT_SECRET (HS256) or FERRY_JWKS_URL (RS256/ES256)')
  }
  if (secret !== undefined && secret.length < 32) {
    problems.push('FERRY_JWT_SECRET must be at least 32 characters (HS256 keys should have 256 bits)')
  }
  if (jwksUrl !== undefined && !/^https?:\/\//.test(jwksUrl)) {
    problems.push(`FERRY_JWKS_URL must be an http(s) URL, got "${jwksUrl}"`)
  }
  const claims = { issuer: read.optional('FERRY_JWT_ISSUER'), audience: read.optional('FERRY_JWT_AUDIENCE') }
  return secret !== undefined ? { kind, secret, ...claims } : { kind, jwksUrl: jwksUrl ?? '', ...claims }
}
