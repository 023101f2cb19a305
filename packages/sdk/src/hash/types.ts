/** A hashing state saved part-way through a file, and how many bytes of it the state covers. */
export interface HashCheckpoint {
  state: Uint8Array
  offset: number
}

/** The SHA-256 of the bytes `start` to `end` (exclusive) of the file, one upload chunk. */
export interface ChunkDigest {
  start: number
  end: number
  digest: Uint8Array
}

export interface DigestOptions {
  /** Called as bytes are hashed, with the running total. */
  onProgress?: (bytesHashed: number) => void
  /** Called every so often with the state to save, so hashing can continue after a reload. */
  onCheckpoint?: (checkpoint: HashCheckpoint) => void
  /** Continue from a saved state instead of the first byte. */
  resumeFrom?: HashCheckpoint
  /**
   * Also digest every whole chunk of `chunkSize` bytes (chunks start at multiples of it) that
   * lies at or after the point hashing starts from, and report each through `onChunk`, in order,
   * before the returned promise resolves. Honoured only by a hasher whose `digestsChunks` is true.
   */
  chunkDigests?: { chunkSize: number; onChunk: (chunk: ChunkDigest) => void }
  signal?: AbortSignal
}

/** Computes the SHA-256 of a whole Blob. The `hasher` option takes any implementation. */
export interface Hasher {
  /** Resolves with the raw 32-byte SHA-256 digest. */
  digest(blob: Blob, options?: DigestOptions): Promise<Uint8Array>
  /**
   * True when `digest()` honours `chunkDigests`: the upload then takes each chunk's
   * `Upload-Checksum` from the hasher instead of reading the chunk a second time.
   */
  readonly digestsChunks?: boolean
  /**
   * Gets ready for the next `digest()` ahead of time (e.g. starts a worker). Returns a function
   * that gives back what was prepared, for when that `digest()` will not come.
   */
  prepare?(): () => void
}

/**
 * Messages between `WorkerHasher` and its two workers, which run the same script: a reader, which
 * reads the Blob in segments and digests whole chunks with WebCrypto, and a hasher, which feeds
 * the segments to hash-wasm. They pass segments (transferred, not copied) over `segments`.
 */
export type WorkerRequest = ReadRequest | HashRequest

/** The workers' names (`new Worker(url, { name })`), which tell the script its role from the start. */
export const READER_NAME = 'ferry-hash-reader'
export const HASHER_NAME = 'ferry-hasher'

export interface ReadRequest {
  role: 'read'
  blob: Blob
  segmentSize: number
  /** Digest whole chunks of this size too (see `DigestOptions.chunkDigests`). */
  chunkSize?: number
  segments: MessagePort
}

export interface HashRequest {
  role: 'hash'
  size: number
  checkpointBytes: number
  resumeFrom?: HashCheckpoint
  segments: MessagePort
}

/** Over the `segments` port, from the hasher: where to read from (once), then each buffer given back. */
export type HasherToReader = { type: 'start'; from: number } | { type: 'buffer'; buffer: ArrayBuffer }

/** Over the `segments` port, from the reader: each segment, in order, then the end. */
export type ReaderToHasher = { type: 'segment'; start: number; length: number; buffer: ArrayBuffer } | { type: 'end' }

export type HashReply =
  | { type: 'progress'; bytesHashed: number }
  | { type: 'checkpoint'; state: Uint8Array; offset: number }
  | { type: 'done'; digest: ArrayBuffer }
  | { type: 'error'; message: string }

export type ReadReply =
  | { type: 'chunk'; start: number; end: number; digest: ArrayBuffer }
  /** Every segment is sent and every chunk digest posted before this. */
  | { type: 'read' }
  | { type: 'error'; message: string }
