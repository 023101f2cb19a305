import type { AuthConfig } from '../config/authConfig.js'
import { authenticateAnonymously } from './anonymous.js'
import { bearerJwt } from './bearerJwt.js'
import type { Authenticate } from './types.js'

/** The authentication a validated configuration names. */
export function createAuthenticate(config: AuthConfig): Authenticate {
  if (config.kind === 'anonymous') return authenticateAnonymously
  const { kind: _kind, ...options } = config
  return bearerJwt(options)
}
