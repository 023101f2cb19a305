import type { Upload } from '@tus/utils'
import { OWNER_METADATA_KEY, TIER_METADATA_KEY } from '../auth/ownership.js'
import { CONCAT_METADATA_KEY } from './concatenation.js'

/** Kept in an upload's metadata by the server itself, never given by a client. */
const SERVER_KEYS = new Set([OWNER_METADATA_KEY, TIER_METADATA_KEY, CONCAT_METADATA_KEY])

/**
 * An upload's metadata as its client gave it (sanitised), without the server's own bookkeeping:
 * what HEAD echoes in `Upload-Metadata`.
 */
export function clientMetadata(metadata: Upload['metadata']): Record<string, string | null> {
  return Object.fromEntries(Object.entries(metadata ?? {}).filter(([key]) => !SERVER_KEYS.has(key)))
}
