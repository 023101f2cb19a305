/** A hashing state saved part-way through a file, and how many bytes of it the state covers. */
export interface HashCheckpoint {
  state: Uint8Array
  offset: number
}

export interface DigestOptions {
  /** Called as bytes are hashed, with the running total. */
  onProgress?: (bytesHashed: number) => void
  /** Called every so often with the state to save, so hashing can continue after a reload. */
  onCheckpoint?: (checkpoint: HashCheckpoint) => void
  /** Continue from a saved state instead of the first byte. */
  resumeFrom?: HashCheckpoint
  signal?: AbortSignal
}

/** Computes the SHA-256 of a whole Blob. The `hasher` option takes any implementation. */
export interface Hasher {
  /** Resolves with the raw 32-byte SHA-256 digest. */
  digest(blob: Blob, options?: DigestOptions): Promise<Uint8Array>
}

/** Messages between `WorkerHasher` and the hash worker. */
export interface HashRequest {
  blob: Blob
  sliceSize: number
  checkpointBytes: number
  resumeFrom?: HashCheckpoint
}

export type HashReply =
  | { type: 'progress'; bytesHashed: number }
  | { type: 'checkpoint'; state: Uint8Array; offset: number }
  | { type: 'done'; digest: ArrayBuffer }
  | { type: 'error'; message: string }
