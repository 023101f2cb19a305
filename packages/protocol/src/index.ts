/**
 * Wire constants shared by the Ferry SDK and the Ferry server. No runtime dependencies: this is
 * the one place where both sides agree on names, so a rename here is a protocol change.
 */
export { DIGEST_HEADER, formatSha256Digest, parseSha256Digest, WANT_DIGEST_HEADER } from './digest.js'
export { FILE_DESCRIPTION_MEDIA_TYPE, type FileDescription, type FileState } from './file.js'
export { ERROR_CODES, type ErrorBody, type ErrorCode } from './errors.js'
export { METADATA_KEYS } from './metadata.js'
export type {
  ProcessingEvent,
  ProcessingJobState,
  ProcessingJobStatus,
  ProcessingJobType,
  ProcessingManifest,
  ProcessingOutput,
  ProcessingState,
} from './processing.js'
