import { randomUUID } from 'node:crypto'
import { S3 } from '@aws-sdk/client-s3'
import type { LocalS3 } from '../setup/localS3.js'

export interface TestBucket {
  name: string
  client: S3
  /** Environment for a server process that stores in this bucket. */
  serverEnv: Record<string, string>
  keys: () => Promise<string[]>
}

/** A fresh bucket on the local S3 server, so tests never see each other's objects. */
export async function createTestBucket(s3: LocalS3): Promise<TestBucket> {
  const client = new S3({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  const name = `ferry-test-${randomUUID().slice(0, 8)}`
  await client.createBucket({ Bucket: name })
  return {
    name,
    client,
    serverEnv: {
      FERRY_STORE: 's3',
      FERRY_S3_BUCKET: name,
      FERRY_S3_ENDPOINT: s3.endpoint,
      FERRY_S3_REGION: s3.region,
      FERRY_S3_ACCESS_KEY_ID: s3.accessKeyId,
      FERRY_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      FERRY_S3_FORCE_PATH_STYLE: 'true',
    },
    async keys() {
      const listed = await client.listObjectsV2({ Bucket: name })
      return (listed.Contents ?? []).map((object) => object.Key ?? '').sort()
    },
  }
}
