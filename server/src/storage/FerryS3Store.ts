import type { Readable } from 'node:stream'
import { type MetadataValue, S3Store, type Options as S3StoreOptions } from '@tus/s3-store'
import { ERRORS, Upload } from '@tus/utils'
import { forgetCreationDateOnceComplete } from './expiration.js'
import { firstBytes } from './readHead.js'
import { BufferPool } from './s3/BufferPool.js'
import { leadingParts, type MultipartProgress, offsetOf, ProgressCache } from './s3/MultipartProgress.js'
import { copyParts } from './s3/copyParts.js'
import { expiredMultipartUploads } from './s3/expiredMultipartUploads.js'
import { quietAboutAbandonedStreams } from './s3/quietClientLogger.js'
import { type StoredPart, writeParts } from './s3/writeParts.js'
import { isS3NotFound, isS3UploadGone } from './s3Compatibility.js'

export interface FerryS3StoreOptions extends S3StoreOptions {
  /** Parts of one request uploaded at the same time. @default 2 */
  concurrentPartUploads?: number
  /** Part buffers in memory across all uploads (each `partSize` bytes). @default 16 */
  maxBufferedParts?: number
  /**
   * Remember each upload's parts between requests instead of reading them from S3 before each
   * one. Only when this process is the only one writing to the bucket (`FERRY_COORDINATION=memory`):
   * with several instances another one may have written the next parts. @default false
   */
  rememberProgress?: boolean
  /** Uploads whose progress is remembered between requests. @default 10000 */
  maxRememberedUploads?: number
  /** Send a part while its bytes arrive when its length is known, instead of once it is full. @default true */
  streamParts?: boolean
}

export const ferryS3StoreDefaults = {
  concurrentPartUploads: 2,
  maxBufferedParts: 16,
  rememberProgress: false,
  maxRememberedUploads: 10_000,
  streamParts: true,
}


const RECENTLY_COMPLETED_MAX = 10_000
const RECENTLY_COMPLETED_MS = 10 * 60_000

/**
 * @tus/s3-store with a write path of its own and defects mended.
 *
 * Writing: each PATCH is cut into parts in pooled memory buffers, uploaded several at a time
 * while the next is read (the stock store copies every part into a temp file and reads it back),
 * and, with `rememberProgress` (one server instance), the upload's progress is remembered between
 * requests (the stock store asks S3 with a ListParts, a HeadObject and a GetObject before every
 * PATCH and a ListParts after it; without it, a ListParts and a HeadObject remain). Memory is
 * bounded by `partSize × maxBufferedParts`, whatever the size of the file. After a restart, or
 * after a failed write, the progress is read from S3 again, counting parts only up to the first
 * gap.
 *
 * Mended:
 * - termination removes everything. The stock `remove()` aborts the multipart upload first, so
 *   for a completed upload (whose multipart upload is gone) it answers 404 and deletes nothing,
 *   and it never deletes the `<id>.part` object that holds a trailing part under S3's 5 MiB minimum;
 * - an empty file becomes an empty object. S3 cannot complete a multipart upload with no parts,
 *   so the stock store leaves an upload that is "complete" but has no object to read;
 * - a complete upload never expires (see `forgetCreationDateOnceComplete`), and expired ones are
 *   removed through `remove()`: the stock `deleteExpired()` leaves them in the metadata cache, where
 *   a vanished multipart upload reads as a complete one.
 */
export class FerryS3Store extends S3Store {
  private readonly concurrentPartUploads: number
  private readonly pool: BufferPool
  private readonly progress: ProgressCache
  /**
   * Uploads this instance completed lately (or is completing), newest last. S3 may still list a
   * completed multipart upload's parts for a while (Swift's listings catch up after seconds): the
   * upload must not be taken for one that still needs completing, which would fail the next
   * request for it (a zero-length PATCH finishing it again) with NoSuchUpload.
   */
  private readonly recentlyCompleted = new Map<string, number>()
  private readonly streamParts: boolean

  constructor(options: FerryS3StoreOptions) {
    super({ ...options, s3ClientConfig: { logger: quietAboutAbandonedStreams, ...options.s3ClientConfig } })
    const settings = { ...ferryS3StoreDefaults, ...options }
    this.concurrentPartUploads = settings.concurrentPartUploads
    this.streamParts = settings.streamParts
    this.pool = new BufferPool({
      bufferSize: this.preferredPartSize,
      maxBuffers: settings.maxBufferedParts,
      // Enough for one upload to stream without allocating; more are freed when idle.
      maxIdle: settings.concurrentPartUploads + 1,
    })
    // Remembering nothing, every request reads the parts from S3 (two requests).
    this.progress = new ProgressCache({ maxEntries: settings.rememberProgress ? settings.maxRememberedUploads : 0 })
  }

  override async create(upload: Upload): Promise<Upload> {
    const created = await super.create(upload)
    if (upload.size === 0) {
      const { 'upload-id': multipartUploadId } = await this.getMetadata(upload.id)
      await this.client.putObject({ Bucket: this.bucket, Key: upload.id, Body: new Uint8Array(0) })
      await this.client.abortMultipartUpload({ Bucket: this.bucket, Key: upload.id, UploadId: multipartUploadId })
    } else {
      this.progress.set(upload.id, { parts: [], tailSize: 0 })
    }
    return created
  }

  override async getUpload(id: string): Promise<Upload> {
    let metadata: MetadataValue
    try {
      metadata = await this.getMetadata(id)
    } catch {
      throw ERRORS.FILE_NOT_FOUND
    }
    const progress = await this.progressOf(id)
    const { file } = metadata
    const offset = progress ? offsetOf(progress) : (file.size ?? 0)
    return forgetCreationDateOnceComplete(new Upload({ ...file, offset }))
  }

  override async write(source: Readable, id: string, offset: number): Promise<number> {
    const metadata = await this.getMetadata(id)
    const before = await this.progressOf(id)
    if (!before) return this.writeToComplete(source, metadata, offset)
    if (offset !== offsetOf(before)) throw ERRORS.INVALID_OFFSET
    const size = metadata.file.size
    // The stock store plans 524 MiB parts while the length is unknown, to allow 5 TiB; in memory
    // that is too much, so such an upload may grow to 10 000 parts of the preferred size (78 GiB at
    // 8 MiB). Only very large uploads of known length need longer parts; they get buffers of their own.
    const partSize = size === undefined ? this.preferredPartSize : this.calcOptimalPartSize(size)
    const pool =
      partSize === this.pool.bufferSize
        ? this.pool
        : new BufferPool({ bufferSize: partSize, maxBuffers: this.concurrentPartUploads + 1 })
    const headOffset = offset - before.tailSize
    let written: Awaited<ReturnType<typeof writeParts>>
    try {
      written = await writeParts(source, {
        pool,
        firstPartNumber: before.parts.length + 1,
        concurrency: this.concurrentPartUploads,
        minPartSize: this.minPartSize,
        bytesToEnd: size === undefined ? undefined : size - headOffset,
        fillHead: before.tailSize > 0 ? (buffer) => this.takeTail(id, before.tailSize, buffer) : undefined,
        uploadPart: (number, bytes) => this.putPart(metadata['upload-id'], id, number, bytes),
        streamPart: this.streamParts
          ? (number, body, length, signal) => this.putPart(metadata['upload-id'], id, number, body, { length, signal })
          : undefined,
        streamUntil: before.lastRequestBytes === undefined ? undefined : before.tailSize + before.lastRequestBytes,
        keepTail: async (bytes) => {
          await this.client.putObject({ Bucket: this.bucket, Key: this.partKey(id, true), Body: bytes })
        },
      })
    } catch (error) {
      // Some parts may have landed; S3 knows which.
      this.progress.delete(id)
      throw error
    }
    return this.commit(id, metadata, {
      parts: [...before.parts, ...written.parts],
      tailSize: written.tailSize,
      lastRequestBytes: written.sourceBytes,
    })
  }

  /**
   * Up to `bytes` from the start of an unfinished upload that has not yet filled a part: they wait
   * in `<id>.part`, which S3 can read, unlike the parts of a multipart upload.
   */
  async readUnfinishedHead(id: string, bytes: number): Promise<Uint8Array> {
    const progress = await this.progressOf(id)
    if (!progress) throw ERRORS.FILE_NOT_FOUND
    if (progress.parts.length > 0) {
      throw new Error(`ferry-server: upload "${id}" has parts in S3; its first bytes can no longer be read before it completes`)
    }
    const tail = await this.getIncompletePart(id)
    return tail ? firstBytes(tail, bytes) : new Uint8Array(0)
  }

  /**
   * Appends bytes `start..end` (inclusive) of the object `key` to upload `id` by copying them
   * inside S3 (UploadPartCopy), so they do not pass through this process; for concatenation.
   * Returns the new offset, or undefined when S3 cannot take them as parts (after a tail in
   * `<id>.part`, or shorter than a part must be without ending the upload): write them instead.
   */
  async appendCopy(id: string, offset: number, source: { key: string; start: number; end: number }): Promise<number | undefined> {
    const metadata = await this.getMetadata(id)
    const before = await this.progressOf(id)
    if (!before) throw ERRORS.FILE_NOT_FOUND
    if (offset !== offsetOf(before)) throw ERRORS.INVALID_OFFSET
    const length = source.end - source.start + 1
    const endsUpload = offset + length === metadata.file.size
    if (before.tailSize > 0 || length <= 0 || (length < this.minPartSize && !endsUpload)) return undefined
    let copied: StoredPart[]
    try {
      copied = await copyParts({
        client: this.client,
        bucket: this.bucket,
        key: id,
        uploadId: metadata['upload-id'],
        firstPartNumber: before.parts.length + 1,
        source,
      })
    } catch (error) {
      this.progress.delete(id)
      throw error
    }
    return this.commit(id, metadata, { parts: [...before.parts, ...copied], tailSize: 0 })
  }

  /**
   * A complete upload takes no more bytes; an empty request at its end (a client repeating the
   * last PATCH whose answer it lost) changes nothing and is answered with the length.
   */
  private async writeToComplete(source: Readable, metadata: MetadataValue, offset: number): Promise<number> {
    if (offset !== metadata.file.size) throw ERRORS.INVALID_OFFSET
    for await (const chunk of source) {
      if ((chunk as Uint8Array).length > 0) throw ERRORS.INVALID_OFFSET
    }
    return offset
  }

  /** Remembers the upload's new progress, or completes it once it holds every byte. */
  private async commit(id: string, metadata: MetadataValue, after: MultipartProgress): Promise<number> {
    const offset = offsetOf(after)
    if (offset !== metadata.file.size) {
      this.progress.set(id, after)
      return offset
    }
    this.progress.delete(id)
    this.markCompleted(id)
    try {
      await this.finishMultipartUpload(
        metadata,
        after.parts.map((part) => ({ PartNumber: part.number, ETag: part.etag, Size: part.size })),
      )
    } catch (error) {
      this.recentlyCompleted.delete(id)
      throw error
    }
    await this.clearCache(id)
    return offset
  }

  override async deleteExpired(): Promise<number> {
    const expiration = this.getExpiration()
    if (expiration <= 0) return 0
    let deleted = 0
    for await (const id of expiredMultipartUploads(this.client, this.bucket, expiration)) {
      await this.remove(id).catch(() => undefined)
      deleted++
    }
    return deleted
  }

  override async remove(id: string): Promise<void> {
    let multipartUploadId: string | undefined
    try {
      multipartUploadId = (await this.getMetadata(id))['upload-id']
    } catch (error) {
      if (isS3NotFound(error)) throw ERRORS.FILE_NOT_FOUND
      throw error
    }
    this.progress.delete(id)
    this.recentlyCompleted.delete(id)
    if (multipartUploadId) {
      try {
        await this.client.abortMultipartUpload({
          Bucket: this.bucket,
          Key: id,
          UploadId: multipartUploadId,
        })
      } catch (error) {
        // A completed upload no longer has a multipart upload to abort; its object remains.
        if (!isS3NotFound(error)) throw error
      }
    }
    await this.client.deleteObjects({
      Bucket: this.bucket,
      Delete: {
        Objects: [{ Key: id }, { Key: this.infoKey(id) }, { Key: this.partKey(id, true) }],
        Quiet: true,
      },
    })
    await this.cache.delete(id)
  }

  /** What S3 holds of the upload, remembered or read; undefined once the upload is complete. */
  private async progressOf(id: string): Promise<MultipartProgress | undefined> {
    const remembered = this.progress.get(id)
    if (remembered) return remembered
    if (this.recentlyCompleted.has(id)) return undefined
    let parts: Awaited<ReturnType<S3Store['retrieveParts']>>
    try {
      parts = await this.retrieveParts(id)
    } catch (error) {
      // The multipart upload is gone while its `.info` remains: it was completed.
      if (isS3UploadGone(error)) return undefined
      throw error
    }
    const progress: MultipartProgress = {
      parts: leadingParts(
        parts.map((part) => ({ number: part.PartNumber ?? 0, etag: part.ETag ?? '', size: part.Size ?? 0 })),
      ),
      tailSize: (await this.getIncompletePartSize(id)) ?? 0,
    }
    this.progress.set(id, progress)
    return progress
  }

  private markCompleted(id: string): void {
    const now = Date.now()
    this.recentlyCompleted.delete(id)
    this.recentlyCompleted.set(id, now)
    // Bounded in count and age (listings catch up within seconds; ten minutes is ample).
    for (const [oldest, at] of this.recentlyCompleted) {
      if (this.recentlyCompleted.size <= RECENTLY_COMPLETED_MAX && now - at < RECENTLY_COMPLETED_MS) break
      this.recentlyCompleted.delete(oldest)
    }
  }

  /**
   * Uploads one part. From a buffer the payload is signed (S3 checks its SHA-256) and the client
   * retries; streamed, it is sent as it arrives, unsigned, as the S3 client sends every stream.
   */
  private async putPart(
    uploadId: string,
    id: string,
    number: number,
    body: Buffer | Readable,
    stream?: { length: number; signal: AbortSignal },
  ): Promise<string> {
    const { ETag } = await this.client.uploadPart(
      {
        Bucket: this.bucket,
        Key: id,
        UploadId: uploadId,
        PartNumber: number,
        Body: body,
        ContentLength: stream?.length ?? (body as Buffer).length,
      },
      { abortSignal: stream?.signal },
    )
    if (!ETag) throw new Error(`ferry-server: S3 returned no ETag for part ${number} of upload "${id}"`)
    return ETag
  }

  /**
   * Reads the tail an earlier request left in `<id>.part` into `buffer` and deletes it. Deleted
   * before the part that now carries its bytes is uploaded: a crash in between loses the tail
   * (the offset goes back and the client sends it again), never counts its bytes twice.
   */
  private async takeTail(id: string, expected: number, buffer: Buffer): Promise<number> {
    const body = await this.getIncompletePart(id)
    let filled = 0
    for await (const chunk of body ?? []) {
      const bytes = chunk as Buffer
      if (filled + bytes.length > buffer.length) break
      buffer.set(bytes, filled)
      filled += bytes.length
    }
    if (filled !== expected) {
      throw new Error(`ferry-server: "${id}.part" holds ${filled} bytes where ${expected} were written`)
    }
    await this.deleteIncompletePart(id)
    return filled
  }
}
