import { createHash, type Hash } from 'node:crypto'
import type { Upload } from '@tus/utils'
import { createSHA256 } from 'hash-wasm'
import type { Logger } from 'pino'
import { withBody } from '../http/withBody.js'
import type { ByteRange } from '../storage/types.js'
import { type CheckpointTrail, createCheckpointTrail } from './checkpointTrail.js'
import type { HashCheckpoint, HashCheckpoints } from './hashCheckpoints.js'
import type { HashWorkers, RemoteHash } from './hashWorkers.js'
import { openingHash } from './openingHash.js'

/** The hash of one request's body, continued from the checkpoint at the offset it starts at. */
interface RunningHash {
  /** Unknown for a creation request until @tus/server has named the upload. */
  id: string | undefined
  start: number
  hashed: number
  /**
   * `undefined` when the bytes before `start` were never hashed, or hashing failed: the digest
   * will come from a re-read.
   */
  hasher?: RemoteHash
  /**
   * A sole writer's hash of the upload from its first byte, in memory (node:crypto); it gives the
   * verdict, and `trail` saves the checkpoints. Instead of `hasher`.
   */
  live?: Hash
  trail?: CheckpointTrail
  /** Set once the upload is complete and its digest was taken. */
  digest?: string
}

export interface StreamingDigests {
  /**
   * Returns a request carrying the same body, hashed as the store reads it. `start` is the
   * upload's offset before this request (0 for a creation with upload). Hashing continues from
   * the upload's checkpoint at `start`; without one (and `start > 0`) nothing is hashed.
   * `size` is the upload's length where it is known.
   */
  track(request: Request, id: string | undefined, start: number, size?: number): Promise<Request>
  /**
   * Moves a tracked request's hash to the request that carries its bytes on (one rebuilt around
   * a buffered or peeked body), so `settle` and `digestOf` find it there.
   */
  adopt(tracked: Request, successor: Request): void
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
  /**
   * For a stop, once requests have drained: waits for the checkpoints saved behind the answers (a
   * sole writer's), and has each trailing hash save where it is now rather than read the rest
   * back. Uploads continue after it, but without trailing checkpoints.
   */
  flush(): Promise<void>
  /** Ends the hash threads, after `flush`; nothing is hashed after it. */
  close(): Promise<void>
}

export interface StreamingDigestOptions {
  checkpoints: HashCheckpoints
  /** Where the hashing runs, beside the event loop. */
  workers: HashWorkers
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
  /**
   * This process is the only one writing uploads: the next PATCH of an upload comes here, so its
   * checkpoint is saved to the store without making the client wait (after a crash, the last one
   * may be missing, which costs a catch-up read or a re-read, never a wrong digest).
   */
  soleWriter?: boolean
  /**
   * With a sole writer and `readStored`: threads (background priority) where checkpoints trail
   * the uploads hashed in memory. Otherwise every upload is hashed in `workers`, which the sender
   * waits for.
   */
  trailWorkers?: HashWorkers
  logger: Logger
}

/**
 * Integrity without a second read: the server hashes each upload's bytes as they stream in,
 * across PATCH requests, and saves a hash-wasm state after each one that any process can load.
 * node:crypto is several times faster but cannot export its state. So where PATCHes may land on
 * another instance (or the store cannot read unfinished bytes back), hash-wasm hashes every byte
 * on the way in; a sole writer on such a store hashes with node:crypto in memory for the verdict
 * and lets hash-wasm checkpoints trail behind at background priority, reading back what they
 * missed, for the restart that loses the memory (a checkpoint further behind then costs a larger
 * catch-up read, never a wrong verdict).
 */
export function createStreamingDigests({
  checkpoints,
  workers,
  offsetOf,
  readStored,
  maxCatchUpBytes = 64 * 1024 * 1024,
  soleWriter = false,
  trailWorkers,
  logger,
}: StreamingDigestOptions): StreamingDigests {
  const running = new WeakMap<Request, RunningHash>()
  const saved = rememberedCheckpoints(checkpoints, { writeBehind: soleWriter, logger })
  const resting = restingHashes()
  const pendingSaves = new Set<Promise<void>>()
  const trails = new Set<CheckpointTrail>()
  // A trail that falls behind must catch up from the store; where it cannot, hash-wasm hashes
  // every byte on the way in.
  const liveWorkers = soleWriter && readStored ? trailWorkers : undefined
  // What the trails' hashes may hold while their thread opens them, between them all.
  const holdBudget = { bytes: TRAIL_HOLD_BYTES }

  /**
   * The trail's thread runs at background priority and yields to a busy server: the request does
   * not wait for it to open the hash. Meanwhile the first chunks are held for it (within the
   * shared budget), and what does not fit the trail reads back from the store.
   */
  function openTrail(workers: HashWorkers): CheckpointTrail {
    const hasher = openingHash(workers.open(), holdBudget)
    const trail = createCheckpointTrail({
      hasher,
      offset: 0,
      save: saved.putState,
      readStored,
      onClosed: () => trails.delete(trail),
      logger,
    })
    trails.add(trail)
    return trail
  }

  async function resume(id: string | undefined, start: number, bytes: number | undefined): Promise<Partial<RunningHash>> {
    if (start === 0 && liveWorkers) {
      // A request that brings the whole upload ends verified, so its checkpoints would go unused;
      // if it is cut short, the next request reads what it stored back (as a lagging trail
      // would), so it is spared the trail while that read stays within a catch-up.
      const whole = bytes !== undefined && bytes <= maxCatchUpBytes
      return { live: createHash('sha256'), trail: whole ? undefined : openTrail(liveWorkers) }
    }
    if (start === 0) return { hasher: await workers.open() }
    if (!id) return {}
    return resting.take(id, start) ?? { hasher: await resumeFromCheckpoint(id, start) }
  }

  async function resumeFromCheckpoint(id: string, start: number): Promise<RemoteHash | undefined> {
    const checkpoint = await saved.at(id, start)
    const state = checkpoint ? Buffer.from(checkpoint.state, 'base64') : undefined
    if (checkpoint?.offset === start) return workers.open(state)
    const from = checkpoint?.offset ?? 0
    if (!readStored || from > start || start - from > maxCatchUpBytes) return undefined
    const hasher = await workers.open(state)
    try {
      let read = 0
      for await (const chunk of await readStored(id, { start: from, end: start - 1 })) {
        await hasher.update(chunk)
        read += chunk.length
      }
      if (read !== start - from) throw new Error(`read ${read} bytes of ${start - from}`)
      logger.info({ uploadId: id, from, to: start }, 'hash caught up on bytes stored past its checkpoint')
      return hasher
    } catch (error) {
      logger.warn({ err: error, uploadId: id }, 'reading stored bytes to continue the hash failed')
      hasher.close()
      return undefined
    }
  }

  /**
   * The sole writer answers a PATCH without waiting for its hash to catch up (up to a few MiB
   * queued for the hash thread): the hash stays open for the upload's next PATCH, which comes
   * here, and its state is saved once the thread gets there.
   */
  function keepResting(id: string, hasher: RemoteHash, offset: number): void {
    hasher.rest()
    resting.put(id, offset, { hasher })
    const saving = hasher.save().then(
      (state) => saved.putState(id, offset, state),
      (error: unknown) => {
        logger.warn({ err: error, uploadId: id }, 'saving the hash checkpoint failed')
        resting.drop(id)
      },
    )
    pendingSaves.add(saving)
    void saving.finally(() => pendingSaves.delete(saving))
  }

  async function checkpoint(id: string, hash: RunningHash, offset: number): Promise<void> {
    // A complete upload's verdict is in its record; the checkpoint has done its job.
    if (hash.digest !== undefined) return saved.forget(id)
    if (hash.hasher && offset === hash.start + hash.hashed) {
      if (hash.hashed === 0) return
      if (soleWriter) return keepResting(id, hash.hasher, offset)
      await saved.putState(id, offset, await hash.hasher.save())
    } else if (offset !== hash.start) {
      // Bytes were stored that this hash does not match (or never covered): no checkpoint is
      // better than a wrong one, and the upload's digest will come from a re-read.
      await saved.delete(id)
    }
  }

  return {
    async track(request, id, start, size) {
      if (!request.body) return request
      const length = Number(request.headers.get('content-length') ?? Number.NaN)
      const bringsTheRest = size !== undefined && start + length === size
      const hash: RunningHash = { id, start, hashed: 0, ...(await resume(id, start, bringsTheRest ? length : undefined)) }
      hash.trail?.hold()
      const hashing = new TransformStream<Uint8Array, Uint8Array>({
        async transform(chunk, controller) {
          if (hash.live) {
            hash.live.update(chunk)
            hash.trail?.offer(hash.start + hash.hashed, chunk)
            hash.hashed += chunk.length
            return controller.enqueue(chunk)
          }
          hash.hashed += chunk.length
          // A hash that fails costs a re-read at the end, never the upload.
          await hash.hasher?.update(chunk).catch((error: unknown) => giveUp(hash, error))
          controller.enqueue(chunk)
        },
      })
      const tracked = withBody(request, request.body.pipeThrough(hashing))
      running.set(tracked, hash)
      return tracked
    },

    adopt(tracked, successor) {
      const hash = running.get(tracked)
      if (!hash || tracked === successor) return
      running.delete(tracked)
      running.set(successor, hash)
    },

    async settle(request, response) {
      const hash = running.get(request)
      if (!hash) return
      running.delete(request)
      const id = hash.id ?? idFromLocation(response.headers.get('location'))
      if (!id) return close(hash)
      try {
        const answered = response.ok ? Number(response.headers.get('upload-offset') ?? Number.NaN) : Number.NaN
        const offset = Number.isSafeInteger(answered) ? answered : await offsetOf(id)
        if (offset === undefined) return
        if (hash.live) return await settleLive(id, hash, offset)
        await checkpoint(id, hash, offset)
        if (resting.holds(id, hash.hasher)) hash.hasher = undefined
      } catch (error) {
        // A lost checkpoint costs a re-read at the end, never a wrong verdict.
        logger.warn({ err: error, uploadId: id }, 'saving the hash checkpoint failed')
        await saved.delete(id).catch(() => undefined)
      } finally {
        close(hash)
      }
    },

    async digestOf(upload, request) {
      const size = upload.size ?? upload.offset
      const hash = request ? running.get(request) : undefined
      if (hash?.live && hash.start + hash.hashed === size) {
        hash.digest ??= hash.live.digest('hex')
        return hash.digest
      }
      if (hash?.hasher && hash.start + hash.hashed === size) {
        hash.digest ??= await hash.hasher.digest().catch((error: unknown) => giveUp(hash, error))
        return hash.digest
      }
      if (hash) return undefined
      const final = await saved.at(upload.id, size)
      if (final?.offset !== size) return undefined
      const hasher = await createSHA256()
      return hasher.load(Buffer.from(final.state, 'base64')).digest('hex')
    },

    forget(id) {
      resting.drop(id)
      return saved.forget(id)
    },

    async flush() {
      await Promise.all([...trails].map((trail) => trail.stop()))
      await Promise.allSettled(pendingSaves)
      await saved.flush()
    },

    async close() {
      await Promise.all([workers.terminate(), trailWorkers?.terminate()])
    },
  }

  /**
   * The live hash rests for the upload's next PATCH while it covers exactly the stored bytes; the
   * trail checkpoints the stored offset either way.
   */
  async function settleLive(id: string, hash: RunningHash, offset: number): Promise<void> {
    const { live, trail } = hash
    hash.live = undefined
    hash.trail = undefined
    // A complete upload's verdict is in its record; the checkpoints have done their job.
    if (hash.digest !== undefined) {
      trail?.close()
      return saved.forget(id)
    }
    trail?.settle(id, offset)
    if (offset === hash.start + hash.hashed) resting.put(id, offset, { live, trail })
    else trail?.retire()
  }

  function giveUp(hash: RunningHash, error: unknown): undefined {
    if (!hash.hasher) return undefined
    logger.warn({ err: error, uploadId: hash.id }, 'hashing failed: the digest will come from a re-read')
    hash.hasher.close()
    hash.hasher = undefined
    return undefined
  }
}

const REMEMBERED_UPLOADS = 10_000

/** First chunks held for trails whose hashes are still opening, all uploads together. */
const TRAIL_HOLD_BYTES = 16 * 1024 * 1024

/** Open hashes waiting for their uploads' next PATCH; the oldest is closed beyond this. */
const RESTING_HASHES = 64

/** What an upload's next PATCH continues: a hash-wasm hash, or a live hash and its trail. */
type RestingHash = Pick<RunningHash, 'hasher' | 'live' | 'trail'>

/** Closes a hash's threads' share now; a trail saves nothing more. */
function close({ hasher, trail }: RestingHash): void {
  hasher?.close()
  trail?.close()
}

/** Hashes kept open between PATCHes, by upload, each for exactly the offset it reached. */
function restingHashes() {
  const hashes = new Map<string, { offset: number; hash: RestingHash }>()
  // A trail still saves the checkpoint it was asked for; only `drop` stops it at once.
  const release = ({ hasher, trail }: RestingHash) => {
    hasher?.close()
    trail?.retire()
  }
  return {
    /** The upload's open hash if it reached `offset`; any other is released. */
    take(id: string, offset: number): RestingHash | undefined {
      const kept = hashes.get(id)
      hashes.delete(id)
      if (kept?.offset === offset) return kept.hash
      if (kept) release(kept.hash)
      return undefined
    },
    put(id: string, offset: number, hash: RestingHash): void {
      const previous = hashes.get(id)
      hashes.delete(id)
      if (previous) release(previous.hash)
      hashes.set(id, { offset, hash })
      if (hashes.size <= RESTING_HASHES) return
      const [oldest, evicted] = hashes.entries().next().value as [string, { hash: RestingHash }]
      hashes.delete(oldest)
      release(evicted.hash)
    },
    holds(id: string, hasher: RemoteHash | undefined): boolean {
      return hasher !== undefined && hashes.get(id)?.hash.hasher === hasher
    },
    drop(id: string): void {
      const kept = hashes.get(id)
      hashes.delete(id)
      if (kept) close(kept.hash)
    },
  }
}

/**
 * The checkpoints this process wrote last, kept in memory so that the next PATCH of an upload
 * usually needs no read from the store (on S3, a request per PATCH). Safe with several instances:
 * the bytes before an offset never change, so a remembered checkpoint is used only for exactly its
 * offset, and any other offset is looked up in the store. Writes of one upload stay in order.
 */
function rememberedCheckpoints(
  checkpoints: HashCheckpoints,
  { writeBehind, logger }: { writeBehind: boolean; logger: Logger },
) {
  const remembered = new Map<string, HashCheckpoint>()
  const remember = (id: string, checkpoint: HashCheckpoint) => {
    remembered.delete(id)
    remembered.set(id, checkpoint)
    if (remembered.size > REMEMBERED_UPLOADS) remembered.delete(remembered.keys().next().value as string)
  }
  const writes = new Map<string, Promise<void>>()
  const write = (id: string, operation: () => Promise<void>): Promise<void> => {
    const next = (writes.get(id) ?? Promise.resolve()).then(operation)
    const settled = next.catch((error: unknown) => {
      logger.warn({ err: error, uploadId: id }, 'writing the hash checkpoint failed')
    })
    writes.set(id, settled)
    void settled.then(() => {
      if (writes.get(id) === settled) writes.delete(id)
    })
    return writeBehind ? Promise.resolve() : next
  }
  return {
    async at(id: string, offset: number): Promise<HashCheckpoint | undefined> {
      const known = remembered.get(id)
      return known?.offset === offset ? known : checkpoints.get(id)
    },
    /** hash-wasm's saved `state` after the upload's first `offset` bytes. */
    putState(id: string, offset: number, state: Uint8Array): Promise<void> {
      // A state saved behind may arrive after a later one (from another hash thread), or after
      // its upload was finished or terminated.
      if ((remembered.get(id)?.offset ?? -1) > offset) return Promise.resolve()
      const checkpoint = { offset, state: Buffer.from(state).toString('base64') }
      remember(id, checkpoint)
      return write(id, () => checkpoints.put(id, checkpoint))
    },
    delete(id: string): Promise<void> {
      remembered.delete(id)
      return write(id, () => checkpoints.delete(id))
    },
    /** Deletes the checkpoint of an upload that takes no more bytes, and any saved behind later. */
    forget(id: string): Promise<void> {
      // Once is enough: nothing is saved for it afterwards (putState refuses), and an upload's
      // finish would otherwise delete the same missing file several times.
      if (remembered.get(id)?.offset === Number.POSITIVE_INFINITY) return writes.get(id) ?? Promise.resolve()
      remember(id, { offset: Number.POSITIVE_INFINITY, state: '' })
      return write(id, () => checkpoints.delete(id))
    },
    /** Resolves once the writes made so far are done (they never reject). */
    async flush(): Promise<void> {
      await Promise.all(writes.values())
    },
  }
}

function idFromLocation(location: string | null): string | undefined {
  if (!location) return undefined
  const id = new URL(location, 'http://ferry.invalid').pathname.split('/').pop()
  return id || undefined
}
