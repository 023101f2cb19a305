import { S3 } from '@aws-sdk/client-s3'
import type { StoreConfig } from '../config/loadConfig.js'
import { s3ClientConfigOf } from '../storage/s3Backend.js'
import { reportErrors } from '../storage/s3Compatibility.js'

/**
 * An S3 client for promotion, configured as the backend's own. (The S3 backend does not hand out
 * its client; if it did, promotion would use that one.)
 */
export function createS3Client(
  store: Extract<StoreConfig, { kind: 's3' }>,
  onRequestError?: (operation: string) => void,
): S3 {
  const client = new S3(s3ClientConfigOf(store))
  if (onRequestError) reportErrors(client, onRequestError)
  return client
}
