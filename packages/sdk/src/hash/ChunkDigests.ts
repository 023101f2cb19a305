import type { ChunkDigest } from './types.js'

export interface ChunkDigestsOptions {
  /** The upload's chunk size: chunks start at multiples of it. */
  chunkSize: number
  fileSize: number
  /** Where hashing starts (0, or a saved checkpoint's offset): earlier chunks are not digested. */
  from: number
}

interface Waiting {
  promise: Promise<Uint8Array | undefined>
  resolve: (digest: Uint8Array | undefined) => void
}

/**
 * The per-chunk SHA-256s that the hasher reports as it reads the file, kept for the upload's
 * `Upload-Checksum` headers. A chunk the hasher will digest (it starts on a multiple of the chunk
 * size, at or after where hashing started) can be awaited before the hasher has reached it; for
 * any other range, and once hashing has stopped without reaching it, the answer is `undefined`
 * and the caller digests the bytes itself. Digests are kept (32 bytes a chunk) because a chunk
 * refused with 460 or lost to a network error is sent again.
 *
 * @example
 * const digests = new ChunkDigests({ chunkSize, fileSize: file.size, from: 0 })
 * hasher.digest(file, { chunkDigests: { chunkSize, onChunk: (chunk) => digests.add(chunk) } })
 * const checksum = await digests.get(0, chunkSize)
 */
export class ChunkDigests {
  readonly #options: ChunkDigestsOptions
  readonly #known = new Map<number, Uint8Array>()
  readonly #waiting = new Map<number, Waiting>()
  #stopped = false

  constructor(options: ChunkDigestsOptions) {
    this.#options = options
  }

  /** Records a chunk's digest reported by the hasher. */
  add({ start, end, digest }: ChunkDigest): void {
    if (!this.#expects(start, end)) return
    this.#known.set(start, digest)
    this.#waiting.get(start)?.resolve(digest)
    this.#waiting.delete(start)
  }

  /**
   * The digest of bytes `start` to `end`, now or once the hasher reaches them, or `undefined`
   * when the hasher will not digest exactly that range.
   */
  get(start: number, end: number): Promise<Uint8Array | undefined> | undefined {
    const known = this.#known.get(start)
    if (known && this.#expects(start, end)) return Promise.resolve(known)
    if (this.#stopped || !this.#expects(start, end)) return undefined
    let waiting = this.#waiting.get(start)
    if (!waiting) {
      let resolve: Waiting['resolve'] = () => {}
      const promise = new Promise<Uint8Array | undefined>((settle) => (resolve = settle))
      waiting = { promise, resolve }
      this.#waiting.set(start, waiting)
    }
    return waiting.promise
  }

  /** Hashing ended (finished, failed or aborted): nothing more will arrive. */
  stop(): void {
    this.#stopped = true
    for (const waiting of this.#waiting.values()) waiting.resolve(undefined)
    this.#waiting.clear()
  }

  #expects(start: number, end: number): boolean {
    const { chunkSize, fileSize, from } = this.#options
    return start >= from && start % chunkSize === 0 && start < fileSize && end === Math.min(start + chunkSize, fileSize)
  }
}
