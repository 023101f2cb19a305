export {
  CANONICAL_PREFIX,
  canonicalKeyOf,
  uploadIdOfCanonicalKey,
  userSegmentOf,
} from './canonicalKey.js'
export { categoryOf } from './categories.js'
export { checkS3Support } from './checkS3Support.js'
export { clientInfoOf, type ClientInfo } from './clientInfo.js'
export { promotedTypeOf, type PromotedType } from './contentTypeOf.js'
export { copyRangesOf } from './copyRanges.js'
export { createDiskPromoter, type DiskPromoterOptions } from './createDiskPromoter.js'
export { createPromotion, type Promotion, type PromotionOptions } from './createPromotion.js'
export { createS3Promoter, type S3PromoterOptions } from './createS3Promoter.js'
export { createStorePromotion, type StorePromotionOptions } from './createStorePromotion.js'
export type { ObjectPromoter, PromotionPlan } from './ObjectPromoter.js'
export { promotedMetadataOf, toS3Metadata, type PromotedMetadata } from './objectMetadata.js'
export {
  defaultPromotionPolicy,
  FILE_CATEGORIES,
  type FileCategory,
  type PromotionDetails,
  type PromotionPolicy,
  S3_OBJECT_ACLS,
  S3_STORAGE_CLASSES,
} from './types.js'
export { withPromotedUploadReads } from './withPromotedUploadReads.js'
