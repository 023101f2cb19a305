import type { Authenticate } from './types.js'

/** Everyone is the same anonymous user: the demo's mode, never for production. */
export const authenticateAnonymously: Authenticate = async () => ({ userId: 'anonymous' })
