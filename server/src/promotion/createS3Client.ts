import { S3 } from '@aws-sdk/client-s3'
import type { StoreConfig } from '../config/loadConfig.js'
import { compatibleChecksumConfig, reportErrors } from '../storage/s3Compatibility.js'

/**
 * An S3 client for promotion, configured as the backend's own. (The S3 backend does not hand out
 * its client; if it did, promotion would use that one.)
 */
export function createS3Client(
  store: Extract<StoreConfig, { kind: 's3' }>,
  onRequestError?: (operation: string) => void,
): S3 {
  const client = new S3({
    region: store.region,
    endpoint: store.endpoint,
    forcePathStyle: store.forcePathStyle,
    credentials:
      store.accessKeyId && store.secretAccessKey
        ? { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey }
        : undefined,
    ...compatibleChecksumConfig,
  })
  if (onRequestError) reportErrors(client, onRequestError)
  return client
}
