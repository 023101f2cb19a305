import type { PromotedMetadata } from './objectMetadata.js'
import type { S3StorageClass } from './types.js'

/** One promotion to carry out: where the bytes are, where they go, what they are stored as. */
export interface PromotionPlan {
  /** The tus upload's key (`backend.keyOf(id)`). */
  sourceKey: string
  /** The canonical key. */
  key: string
  size: number
  contentType: string
  cacheControl: string
  /** S3 only; the bucket's default when `undefined`. */
  storageClass?: S3StorageClass
  metadata: PromotedMetadata
  promotedAt: string
}

/** What one kind of store does to promote a file; `createPromotion` decides what and when. */
export interface ObjectPromoter {
  /** Puts the bytes at `plan.key` with their headers and metadata; safe to run again. */
  promote(plan: PromotionPlan): Promise<void>
  /** Called once the record names the new key: drops what is now a second copy (S3's tus object). */
  releaseSource(sourceKey: string): Promise<void>
  /** Removes a promoted object and whatever belongs to it; a missing one is not an error. */
  remove(key: string): Promise<void>
}
