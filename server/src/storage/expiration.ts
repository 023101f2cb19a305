import type { Upload } from '@tus/utils'

/**
 * Expiration is for unfinished uploads (the tus spec's `Upload-Expires`). @tus/server checks the
 * creation date on every HEAD, complete or not, so a complete upload is handed to it without one.
 */
export function forgetCreationDateOnceComplete(upload: Upload): Upload {
  if (upload.size !== undefined && upload.offset === upload.size) upload.creation_date = undefined
  return upload
}
