export type {
  ErrorCode,
  FileDescription,
  FileState,
  ProcessingEvent,
  ProcessingManifest,
  ProcessingOutput,
  ProcessingState,
} from '@ferry/protocol'
export { FerryError, type FerryErrorCode, type FerryErrorResponse } from './errors.js'
export type { DigestOptions, HashCheckpoint, Hasher } from './hash/types.js'
export { defaultWorkerHasherOptions, WorkerHasher, type WorkerHasherOptions } from './hash/WorkerHasher.js'
export { followProcessing, type FollowProcessingOptions } from './processing/followProcessing.js'
export { defaultSpeedMeterOptions, SpeedMeter, type SpeedMeterOptions } from './progress/SpeedMeter.js'
export { backoffDelay, type BackoffOptions, defaultBackoffOptions } from './retry/backoff.js'
export {
  classifyFailure,
  type ClassifyFailureOptions,
  type FailureInfo,
  type FailureReason,
  type RetryDecision,
} from './retry/classifyFailure.js'
export { parseRetryAfter } from './retry/parseRetryAfter.js'
export { createUrlStorage } from './storage/createUrlStorage.js'
export { findPreviousUploads, type FindPreviousUploadsOptions } from './storage/findPreviousUploads.js'
export { fingerprint, type FingerprintOptions } from './storage/fingerprint.js'
export { IndexedDbUrlStorage, type IndexedDbUrlStorageOptions } from './storage/IndexedDbUrlStorage.js'
export { MemoryUrlStorage } from './storage/MemoryUrlStorage.js'
export type { FerryUrlStorage, SavedHashState, UploadRecord } from './storage/types.js'
export {
  defaultUploadOptions,
  FerryUpload,
  type UploadEvents,
  type UploadOptions,
  type UploadState,
} from './upload/FerryUpload.js'
export type { RetryEvent } from './upload/tusRetry.js'
export { upload } from './upload/upload.js'
export { readHead, type SniffedType, sniffType } from './validation/sniffType.js'
export {
  type BatchValidation,
  defaultValidationRules,
  validateBatch,
  validateFile,
  type ValidationErrorCode,
  type ValidationRules,
} from './validation/validateFiles.js'
export type { UploaderProgress } from './queue/ProgressTotals.js'
export type { QueuedFile, QueuedFileState } from './queue/QueuedFile.js'
export type { AddOptions, QueueableUpload, UploaderEvents, UploaderResult } from './queue/types.js'
export { Uploader } from './queue/Uploader.js'
export { defaultUploaderOptions, type UploaderOptions } from './queue/uploaderOptions.js'
