import type { Readable } from 'node:stream'
import type { FileDescription } from '@ferry/protocol'
import type { DataStore } from '@tus/utils'

/** What the server remembers about a finished upload, kept in the same store as its bytes. */
export interface FileRecord extends Omit<FileDescription, 'url'> {
  finishedAt: string
  /** The digest the client claimed, when it differs from `sha256` (a quarantined upload). */
  claimedSha256?: string
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
 * Everything the server needs from one storage backend. The tus protocol goes through `datastore`;
 * the rest is what @tus/server's stores lack or get wrong (ranged reads, complete removal).
 */
export interface StorageBackend {
  readonly kind: 'disk' | 's3'
  readonly datastore: DataStore
  readonly records: RecordStore
  /** Where the bytes of upload `id` live: an object key, or a path relative to the data dir. */
  keyOf(id: string): string
  /** Streams the stored bytes of a finished upload. */
  read(id: string, range?: ByteRange): Promise<Readable>
  /** Creates directories or checks the bucket; run once before serving. */
  prepare(): Promise<void>
}
