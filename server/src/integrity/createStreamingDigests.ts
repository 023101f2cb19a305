import type { Upload } from '@tus/utils'
import { createSHA256, type IHasher } from 'hash-wasm'
import type { Logger } from 'pino'
import type { ByteRange } from '../storage/types.js'
import type { HashCheckpoints } from './hashCheckpoints.js'

/** The hash of one request's body, continued from the checkpoint at the offset it starts at. */
interface RunningHash {
  /** Unknown for a creation request until @tus/server has named the upload. */
  id: string | undefined
  start: number
  hashed: number
  /** `undefined` when the bytes before `start` were never hashed: a re-read will be needed. */
  hasher: IHasher | undefined
  /** Set once the upload is complete and its digest was taken. */
  digest?: string
}

export interface StreamingDigests {
  /**
   * Returns a request carrying the same body, hashed as the store reads it. `start` is the
   * upload's offset before this request (0 for a creation with upload). Hashing continues from
   * the upload's checkpoint at `start`; without one (and `start > 0`) nothing is hashed.
   */
  track(request: Request, id: string | undefined, start: number): Promise<Request>
  /**
   * After the tus handler answered a tracked request: checkpoints the hash at the upload's new
   * offset when exactly the hashed bytes were stored, and drops the checkpoint when they were not
   * (a write interrupted between reading and storing). Must run before the answer is sent, so the
   * client's next PATCH finds the checkpoint.
   */
  settle(request: Request, response: Response): Promise<void>
  /**
   * SHA-256 (hex) of a complete upload if a hash covers all of its bytes: the running hash of the
   * request that completed it, or a checkpoint at its final offset. `undefined` means the bytes
   * must be read again.
   */
  digestOf(upload: Upload, request?: Request): Promise<string | undefined>
  /** Forgets an upload's checkpoint (finished, terminated or expired). */
  forget(id: string): Promise<void>
}

export interface StreamingDigestOptions {
  checkpoints: HashCheckpoints
  /** The upload's current offset from the store, to learn what an interrupted write stored. */
  offsetOf: (id: string) => Promise<number | undefined>
  /**
   * Reads stored bytes of an unfinished upload (inclusive range), where the store can: a killed
   * PATCH leaves bytes past the last checkpoint, and hashing just those keeps the final check
   * free of a whole re-read. Left out where unfinished bytes cannot be read back (S3 multipart).
   */
  readStored?: (id: string, range: ByteRange) => Promise<AsyncIterable<Uint8Array>>
  /**
   * Largest gap caught up by reading; a larger one leaves the digest to a re-read at the end.
   * @default 64 MiB
   */
  maxCatchUpBytes?: number
  logger: Logger
}

/**
 * Integrity without a second read: the server hashes each upload's bytes with hash-wasm as they
 * stream in, across PATCH requests, and saves the hasher's state after each one. node:crypto is
 * several times faster but cannot export its state, and a state that cannot leave the process
 * would force a re-read whenever a PATCH lands on another instance or after a restart.
 */
export function createStreamingDigests({
  checkpoints,
  offsetOf,
  readStored,
  maxCatchUpBytes = 64 * 1024 * 1024,
  logger,
}: StreamingDigestOptions): StreamingDigests {
  const running = new WeakMap<Request, RunningHash>()

  async function resume(id: string | undefined, start: number): Promise<IHasher | undefined> {
    const hasher = await createSHA256()
    if (start === 0) return hasher.init()
    if (!id) return undefined
    const checkpoint = await checkpoints.get(id)
    if (checkpoint?.offset === start) return hasher.load(Buffer.from(checkpoint.state, 'base64'))
    const from = checkpoint?.offset ?? 0
    if (!readStored || from > start || start - from > maxCatchUpBytes) return undefined
    if (checkpoint) hasher.load(Buffer.from(checkpoint.state, 'base64'))
    else hasher.init()
    try {
      let read = 0
      for await (const chunk of await readStored(id, { start: from, end: start - 1 })) {
        hasher.update(chunk)
        read += chunk.length
      }
      if (read !== start - from) return undefined
      logger.info({ uploadId: id, from, to: start }, 'hash caught up on bytes stored past its checkpoint')
      return hasher
    } catch (error) {
      logger.warn({ err: error, uploadId: id }, 'reading stored bytes to continue the hash failed')
      return undefined
    }
  }

  async function checkpoint(id: string, hash: RunningHash, offset: number): Promise<void> {
    // A complete upload's verdict is in its record; the checkpoint has done its job.
    if (hash.digest !== undefined) return checkpoints.delete(id)
    if (hash.hasher && offset === hash.start + hash.hashed) {
      if (hash.hashed === 0) return
      const state = Buffer.from(hash.hasher.save()).toString('base64')
      await checkpoints.put(id, { offset, state })
    } else if (offset !== hash.start) {
      // Bytes were stored that this hash does not match (or never covered): no checkpoint is
      // better than a wrong one, and the upload's digest will come from a re-read.
      await checkpoints.delete(id)
    }
  }

  return {
    async track(request, id, start) {
      if (!request.body) return request
      const hash: RunningHash = { id, start, hashed: 0, hasher: await resume(id, start) }
      const hashing = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          hash.hasher?.update(chunk)
          hash.hashed += chunk.length
          controller.enqueue(chunk)
        },
      })
      const tracked = new Request(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body.pipeThrough(hashing),
        signal: request.signal,
        duplex: 'half',
      } as RequestInit)
      running.set(tracked, hash)
      return tracked
    },

    async settle(request, response) {
      const hash = running.get(request)
      if (!hash) return
      running.delete(request)
      const id = hash.id ?? idFromLocation(response.headers.get('location'))
      if (!id) return
      try {
        const answered = response.ok ? Number(response.headers.get('upload-offset') ?? Number.NaN) : Number.NaN
        const offset = Number.isSafeInteger(answered) ? answered : await offsetOf(id)
        if (offset === undefined) return
        await checkpoint(id, hash, offset)
      } catch (error) {
        // A lost checkpoint costs a re-read at the end, never a wrong verdict.
        logger.warn({ err: error, uploadId: id }, 'saving the hash checkpoint failed')
        await checkpoints.delete(id).catch(() => undefined)
      }
    },

    async digestOf(upload, request) {
      const size = upload.size ?? upload.offset
      const hash = request ? running.get(request) : undefined
      if (hash?.hasher && hash.start + hash.hashed === size) {
        hash.digest ??= hash.hasher.digest('hex')
        return hash.digest
      }
      if (hash) return undefined
      const saved = await checkpoints.get(upload.id)
      if (saved?.offset !== size) return undefined
      const hasher = await createSHA256()
      return hasher.load(Buffer.from(saved.state, 'base64')).digest('hex')
    },

    forget: (id) => checkpoints.delete(id),
  }
}

function idFromLocation(location: string | null): string | undefined {
  if (!location) return undefined
  const id = new URL(location, 'http://ferry.invalid').pathname.split('/').pop()
  return id || undefined
}
