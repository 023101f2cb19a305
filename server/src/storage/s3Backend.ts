import type { Readable } from 'node:stream'
import { type S3ClientConfig, S3, NoSuchKey } from '@aws-sdk/client-s3'
import { ERRORS } from '@tus/utils'
import type { StoreConfig } from '../config/loadConfig.js'
import { FerryS3Store } from './FerryS3Store.js'
import {
  compatibleChecksumConfig,
  isS3NotFound,
  reportErrors,
  useContentMd5ForDeleteObjects,
} from './s3Compatibility.js'
import { createRecordStore } from './recordStore.js'
import type { ByteRange, DocumentStore, ObjectStore, StorageBackend } from './types.js'

export type S3BackendOptions = Omit<Extract<StoreConfig, { kind: 's3' }>, 'kind'> & {
  /** Unfinished uploads older than this are gone (410) and aborted by `deleteExpired()`; 0 never. */
  expirationMs?: number
  /** Told of every failed S3 request, by operation (for metrics). */
  onRequestError?: (operation: string) => void
  /**
   * This process is the only one writing uploads to the bucket (`FERRY_COORDINATION=memory`), so it
   * may remember each upload's parts between PATCH requests instead of asking S3 (about 100 ms per
   * PATCH on OpenStack Swift). Never with several instances. @default false
   */
  rememberProgress?: boolean
}

/** Documents live under their own prefix; tus upload ids never contain `/`, so keys cannot clash. */
const DOCUMENT_PREFIX = 'ferry/'

/** The S3 client settings of a configured store, for every client that talks to its bucket. */
export function s3ClientConfigOf(
  store: Pick<S3BackendOptions, 'region' | 'endpoint' | 'forcePathStyle' | 'accessKeyId' | 'secretAccessKey'>,
): S3ClientConfig {
  return {
    region: store.region,
    endpoint: store.endpoint,
    forcePathStyle: store.forcePathStyle,
    credentials:
      store.accessKeyId && store.secretAccessKey
        ? { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey }
        : undefined,
    ...compatibleChecksumConfig,
  }
}

/**
 * S3-compatible storage: @tus/s3-store (multipart uploads) for the protocol, a plain client for
 * ranged reads, derived files and documents. Object tagging is off because many S3-compatible
 * servers lack it.
 */
export function createS3Backend(options: S3BackendOptions): StorageBackend {
  const clientConfig = s3ClientConfigOf(options)
  const datastore = new FerryS3Store({
    partSize: options.partSize,
    useTags: false,
    expirationPeriodInMilliseconds: options.expirationMs ?? 0,
    rememberProgress: options.rememberProgress ?? false,
    s3ClientConfig: { bucket: options.bucket, ...clientConfig },
  })
  // The store builds its own client from the config; give it the same compatibility fix.
  const storeClient = (datastore as unknown as { client: S3 }).client
  const client = new S3(clientConfig)
  for (const each of [storeClient, client]) {
    useContentMd5ForDeleteObjects(each)
    if (options.onRequestError) reportErrors(each, options.onRequestError)
  }
  const bucket = options.bucket
  const documents = createS3DocumentStore(client, bucket)

  return {
    kind: 's3',
    datastore,
    documents,
    records: createRecordStore(documents),
    objects: createS3ObjectStore(client, bucket),
    readUnfinishedHead: (id, bytes) => datastore.readUnfinishedHead(id, bytes),
    keyOf: (id) => id,
    // Next to the original; tus ids never contain `_`, so a derived key cannot be an upload's.
    derivedKeyOf: (id, suffix, extension) => `${id}${suffix}${extension}`,
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

function createS3ObjectStore(client: S3, bucket: string): ObjectStore {
  return {
    async read(key: string, range?: ByteRange): Promise<Readable> {
      try {
        const response = await client.getObject({
          Bucket: bucket,
          Key: key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        })
        return response.Body as Readable
      } catch (error) {
        if (isS3NotFound(error)) throw ERRORS.FILE_NOT_FOUND
        throw error
      }
    },
    async write(key, bytes, { contentType, contentEncoding, cacheControl }) {
      await client.putObject({
        Bucket: bucket,
        Key: key,
        Body: bytes,
        ContentType: contentType,
        ContentEncoding: contentEncoding,
        CacheControl: cacheControl,
      })
    },
    async delete(key) {
      await client.deleteObject({ Bucket: bucket, Key: key })
    },
  }
}

function createS3DocumentStore(client: S3, bucket: string): DocumentStore {
  const keyOf = (documentPath: string) => `${DOCUMENT_PREFIX}${documentPath}`
  return {
    async get<T>(documentPath: string): Promise<T | undefined> {
      try {
        const response = await client.getObject({ Bucket: bucket, Key: keyOf(documentPath) })
        return JSON.parse(await (response.Body?.transformToString() ?? '')) as T
      } catch (error) {
        if (error instanceof NoSuchKey || isS3NotFound(error)) return undefined
        throw error
      }
    },
    async put(documentPath, value) {
      await client.putObject({
        Bucket: bucket,
        Key: keyOf(documentPath),
        Body: JSON.stringify(value),
        ContentType: 'application/json',
      })
    },
    async list(prefix) {
      const paths: string[] = []
      let continuationToken: string | undefined
      do {
        const page = await client.listObjectsV2({
          Bucket: bucket,
          Prefix: keyOf(prefix),
          ContinuationToken: continuationToken,
        })
        for (const object of page.Contents ?? []) {
          if (object.Key) paths.push(object.Key.slice(DOCUMENT_PREFIX.length))
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (continuationToken)
      return paths.sort()
    },
    async delete(documentPath) {
      await client.deleteObject({ Bucket: bucket, Key: keyOf(documentPath) })
    },
  }
}
