import type { Readable } from 'node:stream'
import { type S3ClientConfig, S3, NoSuchKey } from '@aws-sdk/client-s3'
import { ERRORS } from '@tus/utils'
import type { StoreConfig } from '../config.js'
import { FerryS3Store } from './FerryS3Store.js'
import {
  compatibleChecksumConfig,
  isS3NotFound,
  useContentMd5ForDeleteObjects,
} from './s3Compatibility.js'
import type { ByteRange, FileRecord, RecordStore, StorageBackend } from './types.js'

export type S3BackendOptions = Omit<Extract<StoreConfig, { kind: 's3' }>, 'kind'>

/** Records live under their own prefix; tus upload ids never contain `/`, so keys cannot clash. */
const RECORD_PREFIX = 'ferry-records/'

/**
 * S3-compatible storage: @tus/s3-store (multipart uploads) for the protocol, a plain client for
 * ranged reads and records. Object tagging is off because many S3-compatible servers lack it.
 */
export function createS3Backend(options: S3BackendOptions): StorageBackend {
  const clientConfig: S3ClientConfig = {
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials:
      options.accessKeyId && options.secretAccessKey
        ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
        : undefined,
    ...compatibleChecksumConfig,
  }
  const datastore = new FerryS3Store({
    partSize: options.partSize,
    useTags: false,
    s3ClientConfig: { bucket: options.bucket, ...clientConfig },
  })
  // The store builds its own client from the config; give it the same compatibility fix.
  useContentMd5ForDeleteObjects((datastore as unknown as { client: S3 }).client)
  const client = new S3(clientConfig)
  useContentMd5ForDeleteObjects(client)
  const bucket = options.bucket

  return {
    kind: 's3',
    datastore,
    records: createS3RecordStore(client, bucket),
    keyOf: (id) => id,
    async read(id: string, range?: ByteRange): Promise<Readable> {
      try {
        const response = await client.getObject({
          Bucket: bucket,
          Key: id,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        })
        return response.Body as Readable
      } catch (error) {
        if (isS3NotFound(error)) throw ERRORS.FILE_NOT_FOUND
        throw error
      }
    },
    async prepare() {
      try {
        await client.headBucket({ Bucket: bucket })
      } catch (error) {
        const reason = isS3NotFound(error) ? 'does not exist' : `is not reachable (${String(error)})`
        throw new Error(
          `ferry-server: bucket "${bucket}" ${reason} at ${options.endpoint ?? 'AWS'}; ` +
            'check FERRY_S3_BUCKET, FERRY_S3_ENDPOINT and the credentials',
          { cause: error },
        )
      }
    },
  }
}

function createS3RecordStore(client: S3, bucket: string): RecordStore {
  const keyOf = (id: string) => `${RECORD_PREFIX}${id}.json`
  return {
    async get(id) {
      try {
        const response = await client.getObject({ Bucket: bucket, Key: keyOf(id) })
        return JSON.parse(await (response.Body?.transformToString() ?? '')) as FileRecord
      } catch (error) {
        if (error instanceof NoSuchKey || isS3NotFound(error)) return undefined
        throw error
      }
    },
    async put(record) {
      await client.putObject({
        Bucket: bucket,
        Key: keyOf(record.id),
        Body: JSON.stringify(record),
        ContentType: 'application/json',
      })
    },
    async delete(id) {
      await client.deleteObject({ Bucket: bucket, Key: keyOf(id) })
    },
  }
}
