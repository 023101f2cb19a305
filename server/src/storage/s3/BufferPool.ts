export interface BufferPoolOptions {
  /** Bytes in every buffer (the multipart part size). */
  bufferSize: number
  /** Buffers that may exist at once; `acquire()` waits when all are taken. */
  maxBuffers: number
  /** Released buffers kept for reuse; the rest are left to the garbage collector. @default maxBuffers */
  maxIdle?: number
}

/**
 * Fixed-size buffers for multipart parts, reused instead of allocated per part, with a cap on how
 * many exist: the server's memory for part uploads stays at `bufferSize × maxBuffers` however many
 * bytes or uploads pass through, and a writer that wants more waits (its request is not read
 * meanwhile, so TCP slows the client down).
 *
 * @example
 * const pool = new BufferPool({ bufferSize: 8 * 1024 * 1024, maxBuffers: 16 })
 * const buffer = await pool.acquire()
 * try { fill(buffer) } finally { pool.release(buffer) }
 */
export class BufferPool {
  readonly bufferSize: number
  readonly maxBuffers: number
  readonly maxIdle: number
  private readonly idle: Buffer[] = []
  private readonly waiting: ((buffer: Buffer) => void)[] = []
  private created = 0

  constructor(options: BufferPoolOptions) {
    this.bufferSize = options.bufferSize
    this.maxBuffers = options.maxBuffers
    this.maxIdle = options.maxIdle ?? options.maxBuffers
  }

  /** A buffer of `bufferSize` bytes with arbitrary content; give it back with `release()`. */
  acquire(): Promise<Buffer> {
    const reused = this.idle.pop()
    if (reused) return Promise.resolve(reused)
    if (this.created < this.maxBuffers) {
      this.created++
      // Outside Node's shared slab, so a pooled part never pins unrelated memory.
      return Promise.resolve(Buffer.allocUnsafeSlow(this.bufferSize))
    }
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  release(buffer: Buffer): void {
    const next = this.waiting.shift()
    if (next) return next(buffer)
    if (this.idle.length < this.maxIdle) this.idle.push(buffer)
    else this.created--
  }
}
