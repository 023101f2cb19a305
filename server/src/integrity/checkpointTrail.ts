import type { Logger } from 'pino'
import type { ByteRange } from '../storage/types.js'
import type { RemoteHash } from './hashWorkers.js'

/**
 * A hash-wasm hash that follows an upload at its own pace, only to save checkpoints: the upload's
 * verdict comes from a faster hash in memory, so these exist for the crash or restart that loses
 * it. The trail takes bytes from the request while it keeps up; once it falls behind it reads
 * them back from the store (where the store can; otherwise it stops), but only while no request
 * of the upload is under way: a server short of CPU spends it on receiving, and the checkpoints
 * lag until the upload pauses, finishes (then they are not needed) or the server stops.
 */
export interface CheckpointTrail {
  /** A request of the upload starts: reading back waits until it is settled. */
  hold(): void
  /** Bytes of the request at `offset`, taken only if the trail is there and has room now. */
  offer(offset: number, chunk: Uint8Array): void
  /**
   * After a request (ends a `hold`), with the upload's stored offset: the trail saves a checkpoint
   * there once it has hashed up to it, reading the bytes it missed from the store first.
   */
  settle(id: string, offset: number): void
  /** Closes the hash once the work already asked for is done (no further requests come). */
  retire(): void
  /** Closes the hash now; nothing more is saved. */
  close(): void
  /**
   * For a stop: saves a checkpoint where the hash is now (the bytes before it are stored) instead
   * of reading the rest back, then closes. Call once the upload's requests are settled. Waits at
   * most `stopWaitMs` for the thread: a background thread may get no CPU at all on a busy machine.
   */
  stop(): Promise<void>
  /** Resolves once the work asked for so far is done; never rejects. */
  idle(): Promise<void>
}

export interface CheckpointTrailOptions {
  /** Open at `offset`. */
  hasher: RemoteHash
  offset: number
  save: (id: string, offset: number, state: Uint8Array) => Promise<void>
  readStored?: (id: string, range: ByteRange) => Promise<AsyncIterable<Uint8Array>>
  /** Called once the hash is closed. */
  onClosed?: () => void
  /**
   * How long `stop` waits for the hash thread before it closes the trail without its last
   * checkpoint (the upload then continues from an earlier one, reading back what it lacks).
   * @default 2000
   */
  stopWaitMs?: number
  logger: Logger
}

export function createCheckpointTrail({
  hasher,
  offset,
  save,
  readStored,
  onClosed,
  stopWaitMs = 2000,
  logger,
}: CheckpointTrailOptions): CheckpointTrail {
  // Bytes handed to the hash; `saved` is the offset of the last checkpoint asked for.
  let reached = offset
  let saved = offset
  let closed = false
  let retired = false
  let stopping = false
  // The upload and stored offset of the last settled request: bytes before it are in the store.
  let settled: { id: string; offset: number } | undefined
  // Catch-ups asked for and not done: meanwhile the hash is not at the request's position.
  let pending = 0
  let work: Promise<void> = Promise.resolve()
  // Set while a request of the upload is under way; resolved when it is settled.
  let held: { until: Promise<void>; release: () => void } | undefined

  const release = () => {
    held?.release()
    held = undefined
  }
  const close = () => {
    if (closed) return
    closed = true
    release()
    hasher.close()
    onClosed?.()
  }
  const giveUp = (id: string, error: unknown) => {
    // An upload terminated while its trail was catching up is gone, which is no fault of anyone's.
    const gone = (error as { status_code?: number } | undefined)?.status_code === 404
    if (!closed) logger[gone ? 'debug' : 'warn']({ err: error, uploadId: id }, 'the hash checkpoints of this upload stop here')
    close()
  }
  // `save()` covers exactly what was handed over so far, whatever is handed over after the call.
  const checkpoint = (id: string, at: number): Promise<void> => {
    if (at <= saved) return Promise.resolve()
    saved = at
    return hasher.save().then((state) => save(id, at, state))
  }
  async function catchUp(id: string, to: number): Promise<void> {
    if (!readStored) throw new Error(`the store cannot read back bytes ${reached}-${to - 1}`)
    for await (const chunk of await readStored(id, { start: reached, end: to - 1 })) {
      while (held) await held.until
      if (closed || stopping) return
      await hasher.update(chunk)
      reached += chunk.length
    }
    if (reached !== to && !stopping) throw new Error(`read ${reached} of ${to} bytes`)
  }
  const finishWork = () => {
    pending--
    if (pending === 0 && retired) close()
  }

  return {
    hold() {
      if (held || closed) return
      let resume = () => {}
      const until = new Promise<void>((resolve) => {
        resume = resolve
      })
      held = { until, release: resume }
    },

    offer(at, chunk) {
      if (closed || pending > 0 || at !== reached || !hasher.tryUpdate(chunk)) return
      reached += chunk.length
    },

    settle(id, to) {
      release()
      settled = { id, offset: to }
      if (closed) return
      // Bytes the hash took were not all stored (an interrupted write): its state matches nothing.
      if (reached > to) return giveUp(id, new Error(`hashed ${reached} bytes, ${to} stored`))
      if (pending === 0 && reached === to) {
        // Saved in step with the request: the next one's bytes can follow straight on.
        const saving = checkpoint(id, to).catch((error: unknown) => giveUp(id, error))
        work = Promise.all([work, saving]).then(() => undefined)
        return
      }
      pending++
      work = work
        .then(async () => {
          if (closed) return
          if (reached < to) await catchUp(id, to)
          if (!closed && reached === to) await checkpoint(id, to)
        })
        .catch((error: unknown) => giveUp(id, error))
        .finally(finishWork)
    },

    retire() {
      retired = true
      if (pending === 0) close()
    },

    close,

    async stop() {
      stopping = true
      release()
      const saving = (async () => {
        await work
        if (!closed && settled && !held && reached <= settled.offset) {
          const { id } = settled
          await checkpoint(id, reached).catch((error: unknown) => giveUp(id, error))
        }
      })()
      let timer: ReturnType<typeof setTimeout> | undefined
      const late = await Promise.race([
        saving.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), stopWaitMs)
        }),
      ])
      clearTimeout(timer)
      if (late && !closed) {
        logger.warn(
          { uploadId: settled?.id, hashedTo: reached, waitedMs: stopWaitMs },
          'the hash thread got no time to save this upload’s last checkpoint before the stop; it continues from an earlier one',
        )
      }
      close()
    },

    idle: () => work,
  }
}
