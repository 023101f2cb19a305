import type { Upload } from '@tus/utils'

/** Upload-Metadata key holding the owner's user id; set by the server, never by the client. */
export const OWNER_METADATA_KEY = 'ferry-owner'
/** Carries the authenticated user from the app to @tus/server's creation hook. */
export const OWNER_HEADER = 'x-ferry-owner'
/** Carries the authenticated user's policy tier the same way. */
export const TIER_HEADER = 'x-ferry-tier'

/** The user who created an upload; uploads from before authentication belong to `anonymous`. */
export function ownerOf(upload: Pick<Upload, 'metadata'>): string {
  return upload.metadata?.[OWNER_METADATA_KEY] ?? 'anonymous'
}
