import type { Upload } from '@tus/utils'

/** Upload-Metadata key holding the owner's user id; set by the server, never by the client. */
export const OWNER_METADATA_KEY = 'ferry-owner'
/** Upload-Metadata key holding the policy tier of the user at creation; set by the server. */
export const TIER_METADATA_KEY = 'ferry-tier'

/** The user who created an upload; uploads from before authentication belong to `anonymous`. */
export function ownerOf(upload: Pick<Upload, 'metadata'>): string {
  return upload.metadata?.[OWNER_METADATA_KEY] ?? 'anonymous'
}
