import type { S3 } from '@aws-sdk/client-s3'

/**
 * Keys of the bucket's multipart uploads started more than `expirationMs` ago, page after page
 * of `ListMultipartUploads` (one upload at a time, so a large backlog never sits in memory).
 */
export async function* expiredMultipartUploads(client: S3, bucket: string, expirationMs: number): AsyncGenerator<string> {
  let keyMarker: string | undefined
  let uploadIdMarker: string | undefined
  do {
    const page = await client.listMultipartUploads({ Bucket: bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker })
    for (const upload of page.Uploads ?? []) {
      if (!upload.Key || !upload.Initiated) continue
      if (Date.now() > upload.Initiated.getTime() + expirationMs) yield upload.Key
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined
  } while (keyMarker)
}
