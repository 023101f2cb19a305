import type { S3 } from '@aws-sdk/client-s3'
import type { StoredPart } from './writeParts.js'

/** S3's largest part: a longer range is copied as several parts. */
const MAX_PART_SIZE = 5 * 1024 ** 3

export interface CopyPartsOptions {
  client: S3
  bucket: string
  /** The multipart upload that receives the parts. */
  key: string
  uploadId: string
  firstPartNumber: number
  /** The object whose bytes `start..end` (inclusive) become the parts. */
  source: { key: string; start: number; end: number }
}

/**
 * Copies a byte range of one object into a multipart upload as parts, inside S3 (UploadPartCopy):
 * no byte passes through this process. Ranges over 5 GiB are cut into equal parts.
 */
export async function copyParts(options: CopyPartsOptions): Promise<StoredPart[]> {
  const { client, bucket, key, uploadId, source } = options
  const length = source.end - source.start + 1
  const count = Math.ceil(length / MAX_PART_SIZE)
  const partLength = Math.ceil(length / count)
  const ranges = Array.from({ length: count }, (_, index) => {
    const start = source.start + index * partLength
    return { number: options.firstPartNumber + index, start, end: Math.min(start + partLength, source.end + 1) - 1 }
  })
  return Promise.all(
    ranges.map(async ({ number, start, end }) => {
      const { CopyPartResult } = await client.uploadPartCopy({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: number,
        CopySource: `${bucket}/${encodeURIComponent(source.key)}`,
        CopySourceRange: `bytes=${start}-${end}`,
      })
      if (!CopyPartResult?.ETag) {
        throw new Error(`ferry-server: S3 returned no ETag for part ${number} copied from "${source.key}"`)
      }
      return { number, etag: CopyPartResult.ETag, size: end - start + 1 }
    }),
  )
}
