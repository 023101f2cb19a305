import type { CompletedPart, S3 } from '@aws-sdk/client-s3'
import type { Logger } from 'pino'
import { copyRangesOf } from './copyRanges.js'
import type { ObjectPromoter, PromotionPlan } from './ObjectPromoter.js'
import { toS3Metadata } from './objectMetadata.js'
import type { PromotionPolicy } from './types.js'

export interface S3PromoterOptions {
  client: S3
  bucket: string
  policy: Pick<PromotionPolicy, 'encryption' | 'acl' | 'multipartCopyThreshold' | 'copyPartSize'>
  logger: Logger
  /**
   * Parts copied at the same time in a multipart copy.
   * @default 4
   */
  copyConcurrency?: number
}

export const S3_PROMOTER_DEFAULTS = { copyConcurrency: 4 } satisfies Partial<S3PromoterOptions>

/**
 * Promotion on S3: a server-side copy, so the bytes never pass through this process. CopyObject
 * (with `MetadataDirective: REPLACE`, which is what sets the new headers) up to the threshold,
 * which may be at most 5 GiB, S3's limit for one copy; above it a multipart upload of
 * UploadPartCopy ranges. The copy's size is checked before the tus object is deleted.
 */
export function createS3Promoter(options: S3PromoterOptions): ObjectPromoter {
  const { client, bucket, policy, logger, copyConcurrency } = {
    ...S3_PROMOTER_DEFAULTS,
    ...options,
  }
  const copySourceOf = (key: string) =>
    `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`

  const headersOf = (plan: PromotionPlan) => ({
    Bucket: bucket,
    Key: plan.key,
    ContentType: plan.contentType,
    CacheControl: plan.cacheControl,
    Metadata: toS3Metadata(plan.metadata),
    ...(plan.storageClass ? { StorageClass: plan.storageClass } : {}),
    ...(policy.acl ? { ACL: policy.acl } : {}),
    ...(policy.encryption ? { ServerSideEncryption: policy.encryption.kind } : {}),
    ...(policy.encryption?.kind === 'aws:kms' && policy.encryption.kmsKeyId
      ? { SSEKMSKeyId: policy.encryption.kmsKeyId }
      : {}),
  })

  async function copyInParts(plan: PromotionPlan): Promise<void> {
    const { UploadId: uploadId } = await client.createMultipartUpload(headersOf(plan))
    if (!uploadId) throw new Error(`ferry-server: S3 started no multipart upload for ${plan.key}`)
    try {
      const ranges = copyRangesOf(plan.size, policy.copyPartSize)
      const parts: CompletedPart[] = new Array(ranges.length)
      let next = 0
      const copyNext = async (): Promise<void> => {
        while (next < ranges.length) {
          const index = next++
          const range = ranges[index] as { start: number; end: number }
          const { CopyPartResult: result } = await client.uploadPartCopy({
            Bucket: bucket,
            Key: plan.key,
            UploadId: uploadId,
            PartNumber: index + 1,
            CopySource: copySourceOf(plan.sourceKey),
            CopySourceRange: `bytes=${range.start}-${range.end}`,
          })
          parts[index] = { ETag: result?.ETag, PartNumber: index + 1 }
        }
      }
      await Promise.all(Array.from({ length: Math.min(copyConcurrency, ranges.length) }, copyNext))
      await client.completeMultipartUpload({
        Bucket: bucket,
        Key: plan.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      })
    } catch (error) {
      await client
        .abortMultipartUpload({ Bucket: bucket, Key: plan.key, UploadId: uploadId })
        .catch((abortError: unknown) =>
          logger.warn(
            { err: abortError, key: plan.key },
            'aborting a failed multipart copy failed',
          ),
        )
      throw error
    }
  }

  return {
    async promote(plan) {
      if (plan.size > policy.multipartCopyThreshold) {
        await copyInParts(plan)
      } else {
        await client.copyObject({
          ...headersOf(plan),
          CopySource: copySourceOf(plan.sourceKey),
          MetadataDirective: 'REPLACE',
        })
      }
      const copied = await client.headObject({ Bucket: bucket, Key: plan.key })
      if (copied.ContentLength !== plan.size) {
        throw new Error(
          `ferry-server: the copy of ${plan.sourceKey} at ${plan.key} holds ${copied.ContentLength} bytes, not ${plan.size}`,
        )
      }
    },
    async releaseSource(sourceKey) {
      await client.deleteObject({ Bucket: bucket, Key: sourceKey })
    },
    async remove(key) {
      await client.deleteObject({ Bucket: bucket, Key: key })
    },
  }
}
