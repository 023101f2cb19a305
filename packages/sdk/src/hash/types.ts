export interface DigestOptions {
  /** Called as bytes are hashed, with the running total. */
  onProgress?: (bytesHashed: number) => void
  signal?: AbortSignal
}

/** Computes the SHA-256 of a whole Blob. The `hasher` option takes any implementation. */
export interface Hasher {
  /** Resolves with the raw 32-byte SHA-256 digest. */
  digest(blob: Blob, options?: DigestOptions): Promise<Uint8Array>
}

/** Messages between `WorkerHasher` and the hash worker. */
export type HashRequest = { blob: Blob; sliceSize: number }
export type HashReply =
  | { type: 'progress'; bytesHashed: number }
  | { type: 'done'; digest: ArrayBuffer }
  | { type: 'error'; message: string }
