import type { Readable } from 'node:stream'
import type { FileDescription } from '@ferry/protocol'
import type { DataStore } from '@tus/utils'

/** What the server remembers about a finished upload, kept in the same store as its bytes. */
export interface FileRecord
  extends Omit<FileDescription, 'url' | 'processing' | 'eventsUrl' | 'downloadUrl' | 'downloadUrlExpiresAt'> {
  finishedAt: string
  /** The user who uploaded it. */
  owner: string
  /** The digest the client claimed, when it differs from `sha256` (a quarantined upload). */
  claimedSha256?: string
  /** Why a hook rejected the file. */
  reason?: string
  /**
   * When the file was accepted (promoted, indexed, handed to processing, announced to hooks);
   * absent while a failed step (a promotion that hit a store error) waits for the next finish.
   */
  acceptedAt?: string
  /** How the file was stored under its canonical `key` (see promotion/); absent until then. */
  promoted?: { contentType: string; cacheControl: string; promotedAt: string }
}

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number
  end: number
}

/** Keeps one `FileRecord` per upload id. */
export interface RecordStore {
  get(id: string): Promise<FileRecord | undefined>
  put(record: FileRecord): Promise<void>
  /** Removes the record; a missing record is not an error. */
  delete(id: string): Promise<void>
}

/**
 * Small JSON documents (records, manifests, webhook deliveries) by path, such as
 * `records/<id>.json`, kept in the same store as the bytes: the store is the source of truth, so
 * the server needs no database. Writes replace a document whole.
 */
export interface DocumentStore {
  get<T>(path: string): Promise<T | undefined>
  put(path: string, value: unknown): Promise<void>
  /** Paths of the documents below `prefix` (for example `manifests/`), sorted. */
  list(prefix: string): Promise<string[]>
  /** Removes a document; a missing one is not an error. */
  delete(path: string): Promise<void>
}

export interface ObjectWriteOptions {
  contentType: string
  contentEncoding?: string
  cacheControl?: string
}

/** Whole objects by key: the uploads' bytes and the files derived from them. */
export interface ObjectStore {
  /** Streams an object; rejects with the tus not-found error when it does not exist. */
  read(key: string, range?: ByteRange): Promise<Readable>
  write(key: string, bytes: Uint8Array, options: ObjectWriteOptions): Promise<void>
  /** Removes an object; a missing one is not an error. */
  delete(key: string): Promise<void>
}

/**
 * Everything the server needs from one storage backend. The tus protocol goes through `datastore`;
 * the rest is what @tus/server's stores lack or get wrong (ranged reads, complete removal, small
 * documents, derived files).
 */
export interface StorageBackend {
  readonly kind: 'disk' | 's3'
  readonly datastore: DataStore
  readonly records: RecordStore
  readonly documents: DocumentStore
  readonly objects: ObjectStore
  /**
   * The datastore cuts a chunk back out when its `Upload-Checksum` is refused at the end of its
   * body (see tus/chunkVerdicts.ts), so the checksum is checked as the bytes stream to it;
   * otherwise the chunk is held in memory until verified.
   */
  readonly discardsUnverifiedChunks?: boolean
  /**
   * Up to `bytes` from the start of an upload that is not finished and holds fewer bytes than a
   * part (on S3 they wait in `<id>.part`, outside the object); for sniffing content that came in
   * first chunks too short to judge.
   */
  readUnfinishedHead(id: string, bytes: number): Promise<Uint8Array>
  /** Where the bytes of upload `id` live: an object key, or a path relative to the data dir. */
  keyOf(id: string): string
  /** Key of a file derived from upload `id`, such as its 300 px thumbnail (`_thumb_300`, `.jpg`). */
  derivedKeyOf(id: string, suffix: string, extension: string): string
  /** Creates directories or checks the bucket; run once before serving. */
  prepare(): Promise<void>
}
