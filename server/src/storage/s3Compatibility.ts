import { createHash } from 'node:crypto'
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3'

/**
 * Client settings that keep the AWS SDK inside what every S3-compatible server accepts. The SDK's
 * default flexible checksums send `aws-chunked` bodies, which OpenStack Swift's s3api, older MinIO
 * and Ceph releases reject; computing checksums only where an operation requires one avoids that.
 */
export const compatibleChecksumConfig: Pick<
  S3ClientConfig,
  'requestChecksumCalculation' | 'responseChecksumValidation'
> = {
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
}

/**
 * DeleteObjects must carry an integrity header. AWS accepts the CRC32 the SDK sends; Swift and
 * other older implementations accept only `Content-MD5` and answer 400 without it. Sending
 * `Content-MD5` instead satisfies both.
 */
export function useContentMd5ForDeleteObjects(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as {
        headers?: Record<string, string>
        body?: unknown
      }
      if (context.commandName === 'DeleteObjectsCommand' && request.headers && request.body) {
        const body = request.body as string | Uint8Array
        request.headers['content-md5'] = createHash('md5').update(body).digest('base64')
        for (const name of Object.keys(request.headers)) {
          const lower = name.toLowerCase()
          if (lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm') {
            delete request.headers[name]
          }
        }
      }
      return next(args)
    },
    { step: 'build', priority: 'low', name: 'ferryContentMd5ForDeleteObjects' },
  )
}

const NOT_FOUND_CODES = new Set(['NotFound', 'NoSuchKey', 'NoSuchUpload', 'NoSuchBucket'])

/** True when an S3 error means the thing asked for does not exist. */
export function isS3NotFound(error: unknown): boolean {
  const candidate = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } }
  return (
    NOT_FOUND_CODES.has(candidate?.name ?? '') ||
    NOT_FOUND_CODES.has(candidate?.Code ?? '') ||
    candidate?.$metadata?.httpStatusCode === 404
  )
}

/**
 * True when an S3 error says a multipart upload no longer exists (it was completed or aborted).
 * AWS answers NoSuchUpload; DigitalOcean Spaces and others NoSuchKey. A bare 404 does not count:
 * the SDK also names any 404 without an S3 error code `NotFound`.
 */
export function isS3UploadGone(error: unknown): boolean {
  const candidate = error as { name?: string; Code?: string }
  return [candidate?.name, candidate?.Code].some((code) => code === 'NoSuchUpload' || code === 'NoSuchKey')
}

/** Calls `onError` with the operation's name whenever a request of `client` fails. */
export function reportErrors(client: S3Client, onError: (operation: string) => void): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args)
      } catch (error) {
        onError(context.commandName ?? 'unknown')
        throw error
      }
    },
    { step: 'initialize', name: 'ferryReportErrors' },
  )
}
