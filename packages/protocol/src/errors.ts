/** Stable error codes that the server puts in error bodies and the SDK exposes as `FerryError.code`. */
export const ERROR_CODES = {
  digestMismatch: 'digest-mismatch',
  digestInvalid: 'digest-invalid',
  digestMissing: 'digest-missing',
  quarantined: 'quarantined',
  rejected: 'rejected',
  notFound: 'not-found',
  methodNotAllowed: 'method-not-allowed',
  incomplete: 'incomplete',
  invalidRange: 'invalid-range',
  invalidOffset: 'invalid-offset',
  checksumMismatch: 'checksum-mismatch',
  checksumAlgorithm: 'checksum-algorithm',
  checksumInvalid: 'checksum-invalid',
  checksumChunkTooLarge: 'checksum-chunk-too-large',
  checksumTrailerMissing: 'checksum-trailer-missing',
  concatInvalid: 'concat-invalid',
  concatAssembling: 'concat-assembling',
  invalidMetadata: 'invalid-metadata',
  unauthorized: 'unauthorized',
  invalidQuery: 'invalid-query',
  unsupportedMediaType: 'unsupported-media-type',
  unsupportedVersion: 'unsupported-version',
  rateLimited: 'rate-limited',
  typeNotAllowed: 'type-not-allowed',
  tooLarge: 'too-large',
  contentMismatch: 'content-mismatch',
  invalidFilename: 'invalid-filename',
  finalUploadPatch: 'final-upload-patch',
  promotionFailed: 'promotion-failed',
  duplicateHeader: 'duplicate-header',
  shuttingDown: 'shutting-down',
  coordinationUnavailable: 'coordination-unavailable',
  signatureInvalid: 'signature-invalid',
  signatureExpired: 'signature-expired',
  downloadUrlsOff: 'download-urls-off',
} as const

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES]

/** JSON body of every error the Ferry server answers outside the stock tus handlers. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string }
}
