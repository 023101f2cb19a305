import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { createSHA256 } from 'hash-wasm'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import type { ByteRange } from '../storage/types.js'
import { type CheckpointTrail, createCheckpointTrail } from './checkpointTrail.js'
import { createHashWorkers, type RemoteHash } from './hashWorkers.js'

const logger = pino({ level: 'silent' })
const workers = createHashWorkers({ threads: 1, priority: 'background' })
afterAll(() => workers.terminate())
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** What a saved state digests to: the hash of the bytes it covers, if it is right. */
async function digestOfState(state: Uint8Array): Promise<string> {
  const hasher = await createSHA256()
  return hasher.load(state).digest('hex')
}

/** A fake for a background thread that never has room: every offer falls behind. */
function starved(hash: RemoteHash): RemoteHash {
  return { ...hash, tryUpdate: () => false }
}

async function trailOver(stored: Buffer, options: { hasher?: RemoteHash; readBack?: boolean; stopWaitMs?: number } = {}) {
  const saves: Array<{ offset: number; state: Uint8Array }> = []
  const reads: ByteRange[] = []
  const trail: CheckpointTrail = createCheckpointTrail({
    hasher: options.hasher ?? (await workers.open()),
    offset: 0,
    save: async (_id, offset, state) => {
      saves.push({ offset, state })
    },
    readStored:
      options.readBack === false
        ? undefined
        : async (_id, range) => {
            reads.push(range)
            return Readable.from([stored.subarray(range.start, range.end + 1)])
          },
    ...(options.stopWaitMs === undefined ? {} : { stopWaitMs: options.stopWaitMs }),
    logger,
  })
  return { trail, saves, reads }
}

/** Offers `bytes` from `offset` in 64 KiB pieces, as a request's body arrives. */
function offer(trail: CheckpointTrail, bytes: Uint8Array, offset: number) {
  for (let at = 0; at < bytes.length; at += 65_536) trail.offer(offset + at, bytes.subarray(at, at + 65_536))
}

describe('createCheckpointTrail', () => {
  it('stops within stopWaitMs when its thread gets no CPU, closing the hash without a checkpoint', async () => {
    // A real hash thread held by its pause flag, as SCHED_IDLE holds one on a saturated machine.
    const flag = new SharedArrayBuffer(4)
    Atomics.store(new Int32Array(flag), 0, 1)
    const paused = createHashWorkers({ threads: 1, priority: 'background', pauseWhile: flag })
    try {
      const bytes = randomBytes(300_000)
      const hash = await paused.open()
      let closed = 0
      const { trail, saves } = await trailOver(bytes, { hasher: { ...hash, close: () => (closed++, hash.close()) }, stopWaitMs: 200 })
      trail.hold()
      offer(trail, bytes, 0)
      trail.settle('up', bytes.length)
      const started = performance.now()
      const stopping = trail.stop()
      // Without the bound the stop would wait for the thread for ever.
      await stopping
      const waited = performance.now() - started
      expect(waited).toBeGreaterThanOrEqual(150)
      expect(waited).toBeLessThan(2000)
      expect(saves).toEqual([])
      expect(closed).toBe(1)
    } finally {
      Atomics.store(new Int32Array(flag), 0, 0)
      Atomics.notify(new Int32Array(flag), 0)
      await paused.terminate()
    }
  })

  it('saves a checkpoint at each stored offset from the bytes offered, reading nothing back', async () => {
    const bytes = randomBytes(700_000)
    const { trail, saves, reads } = await trailOver(bytes)
    offer(trail, bytes.subarray(0, 300_000), 0)
    trail.settle('up', 300_000)
    offer(trail, bytes.subarray(300_000), 300_000)
    trail.settle('up', bytes.length)
    await trail.idle()
    expect(saves.map((save) => save.offset)).toEqual([300_000, bytes.length])
    expect(await digestOfState(saves[1]?.state ?? new Uint8Array())).toBe(sha256(bytes))
    expect(reads).toEqual([])
    trail.close()
  })

  it('catches up on what it could not take by reading the store, then checkpoints', async () => {
    const bytes = randomBytes(500_000)
    const { trail, saves, reads } = await trailOver(bytes, { hasher: starved(await workers.open()) })
    offer(trail, bytes.subarray(0, 200_000), 0)
    trail.settle('up', 200_000)
    offer(trail, bytes.subarray(200_000), 200_000)
    trail.settle('up', bytes.length)
    await trail.idle()
    expect(reads).toEqual([
      { start: 0, end: 199_999 },
      { start: 200_000, end: bytes.length - 1 },
    ])
    expect(saves.map((save) => save.offset)).toEqual([200_000, bytes.length])
    expect(await digestOfState(saves[1]?.state ?? new Uint8Array())).toBe(sha256(bytes))
    trail.close()
  })

  it('reads back only while no request of the upload is under way', async () => {
    const bytes = randomBytes(400_000)
    const { trail, saves } = await trailOver(bytes, { hasher: starved(await workers.open()) })
    trail.hold()
    offer(trail, bytes.subarray(0, 200_000), 0)
    trail.settle('up', 200_000)
    // The next request starts before the trail has caught up on the first.
    trail.hold()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(saves).toEqual([])
    offer(trail, bytes.subarray(200_000), 200_000)
    trail.settle('up', bytes.length)
    await trail.idle()
    expect(saves.map((save) => save.offset)).toEqual([200_000, bytes.length])
    expect(await digestOfState(saves[1]?.state ?? new Uint8Array())).toBe(sha256(bytes))
    trail.close()
  })

  it('on a stop, saves where it is instead of reading the rest back', async () => {
    const bytes = randomBytes(200_000)
    const saves: Array<{ offset: number; state: Uint8Array }> = []
    let releaseSecond: () => void = () => {}
    const second = new Promise<void>((resolve) => {
      releaseSecond = resolve
    })
    let firstRead: () => void = () => {}
    const read = new Promise<void>((resolve) => {
      firstRead = resolve
    })
    const trail = createCheckpointTrail({
      hasher: starved(await workers.open()),
      offset: 0,
      save: async (_id, offset, state) => {
        saves.push({ offset, state })
      },
      // A slow disk: the second 50 KB come only once the test lets them.
      readStored: async () =>
        (async function* () {
          yield bytes.subarray(0, 50_000)
          firstRead()
          await second
          yield bytes.subarray(50_000)
        })(),
      logger,
    })
    offer(trail, bytes, 0)
    trail.settle('up', bytes.length)
    await read
    const stopped = trail.stop()
    releaseSecond()
    await stopped
    expect(saves.map((save) => save.offset)).toEqual([50_000])
    expect(await digestOfState(saves[0]?.state ?? new Uint8Array())).toBe(sha256(bytes.subarray(0, 50_000)))
  })

  it('stops, saving nothing, when it fell behind and the store cannot read back', async () => {
    const bytes = randomBytes(100_000)
    const { trail, saves } = await trailOver(bytes, { hasher: starved(await workers.open()), readBack: false })
    offer(trail, bytes, 0)
    trail.settle('up', bytes.length)
    await trail.idle()
    expect(saves).toEqual([])
  })

  it('saves nothing for bytes it took that were not all stored (an interrupted write)', async () => {
    const bytes = randomBytes(200_000)
    const { trail, saves } = await trailOver(bytes.subarray(0, 150_000))
    offer(trail, bytes, 0)
    trail.settle('up', 150_000)
    await trail.idle()
    expect(saves).toEqual([])
  })

  it('saves nothing once closed, even with a catch-up under way', async () => {
    const bytes = randomBytes(300_000)
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const saves: number[] = []
    const trail = createCheckpointTrail({
      hasher: starved(await workers.open()),
      offset: 0,
      save: async (_id, offset) => {
        saves.push(offset)
      },
      readStored: async () => {
        await held
        return Readable.from([bytes])
      },
      logger,
    })
    offer(trail, bytes, 0)
    trail.settle('up', bytes.length)
    trail.close()
    release()
    await trail.idle()
    expect(saves).toEqual([])
  })
})
