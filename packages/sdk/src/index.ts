export type { ErrorCode, FileDescription, FileState } from '@ferry/protocol'
export { FerryError, type FerryErrorCode, type FerryErrorResponse } from './errors.js'
export { WorkerHasher, type WorkerHasherOptions } from './hash/WorkerHasher.js'
export type { DigestOptions, Hasher } from './hash/types.js'
export {
  defaultUploadOptions,
  FerryUpload,
  type UploadEvents,
  type UploadOptions,
  type UploadState,
} from './upload/FerryUpload.js'
export { upload } from './upload/upload.js'
