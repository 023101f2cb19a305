import type { Upload } from '@tus/utils'
import type { UploadInfo } from './types.js'

/** The part of a tus upload that hooks see. */
export function uploadInfo(upload: Upload): UploadInfo {
  return { id: upload.id, size: upload.size, offset: upload.offset, metadata: { ...(upload.metadata ?? {}) } }
}
