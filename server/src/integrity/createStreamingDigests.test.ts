import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import type { Upload } from '@tus/utils'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ByteRange } from '../storage/types.js'
import { createTemporaryDocuments } from '../webhooks/webhookTestKit.js'
import { createStreamingDigests, type StreamingDigests } from './createStreamingDigests.js'
import { createHashCheckpoints, type HashCheckpoints } from './hashCheckpoints.js'
import { createHashWorkers, type HashWorkers } from './hashWorkers.js'

const logger = pino({ level: 'silent' })
// Small enough that the tests' chunks also go through the path where update waits for the worker.
const workers = createHashWorkers({ threads: 2, highWaterBytes: 64 * 1024 })
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** What the store holds of one upload; the tests play @tus/server's part around it. */
let stored: Buffer
let checkpoints: HashCheckpoints
let removeDocuments: () => Promise<void>

beforeEach(async () => {
  stored = Buffer.alloc(0)
  const temporary = await createTemporaryDocuments()
  checkpoints = createHashCheckpoints(temporary.documents)
  removeDocuments = temporary.remove
})
afterEach(() => removeDocuments())

const backgroundWorkers = createHashWorkers({ threads: 1, priority: 'background' })

function digestsWith(
  options: { readStored?: boolean; soleWriter?: boolean; store?: HashCheckpoints; workers?: HashWorkers; trailWorkers?: HashWorkers } = {},
): StreamingDigests {
  return createStreamingDigests({
    checkpoints: options.store ?? checkpoints,
    soleWriter: options.soleWriter ?? false,
    workers: options.workers ?? workers,
    trailWorkers: options.trailWorkers,
    offsetOf: async () => stored.length,
    readStored: options.readStored
      ? async (_id: string, range: ByteRange) => Readable.from([stored.subarray(range.start, range.end + 1)])
      : undefined,
    logger,
  })
}

function patchRequest(body: Uint8Array): Request {
  return new Request('http://ferry.test/files/up', { method: 'PATCH', body, duplex: 'half' } as RequestInit)
}

/** Stores what the tracked body yields (up to `keep` bytes, as an interrupted write would). */
async function storeBody(request: Request, keep = Number.POSITIVE_INFINITY): Promise<number> {
  const received = Buffer.from(await request.arrayBuffer())
  const kept = received.subarray(0, Math.min(keep, received.length))
  stored = Buffer.concat([stored, kept])
  return kept.length
}

const answered = (offset: number) => new Response(null, { status: 204, headers: { 'Upload-Offset': String(offset) } })
const failed = () => new Response(null, { status: 500 })
const upload = (size: number): Upload => ({ id: 'up', size, offset: size }) as Upload

async function sendPatch(digests: StreamingDigests, piece: Uint8Array, keep?: number) {
  const request = await digests.track(patchRequest(piece), 'up', stored.length)
  const kept = await storeBody(request, keep)
  await digests.settle(request, kept === piece.length ? answered(stored.length) : failed())
  return request
}

/**
 * A fake for a hash thread that lags behind: real hashes whose saved states (taken in order, as
 * the thread would) are handed over only once released.
 */
function laggingSoleWriter() {
  let opened = 0
  let releaseSaves: () => void = () => {}
  const savesReleased = new Promise<void>((resolve) => {
    releaseSaves = resolve
  })
  const lagging: HashWorkers = {
    async open(state) {
      opened++
      const hash = await workers.open(state)
      return {
        ...hash,
        save: async () => {
          const state = await hash.save()
          await savesReleased
          return state
        },
      }
    },
    terminate: () => workers.terminate(),
  }
  const digests = createStreamingDigests({
    checkpoints,
    workers: lagging,
    soleWriter: true,
    offsetOf: async () => stored.length,
    logger,
  })
  return { digests, opened: () => opened, releaseSaves }
}

/** Hash workers that count the hashes opened in them. */
function counted(inner: HashWorkers) {
  let opened = 0
  const counting: HashWorkers = { open: (state) => (opened++, inner.open(state)), terminate: () => inner.terminate() }
  return { workers: counting, opened: () => opened }
}

/**
 * A fake for a background thread starved of CPU: it never has room for a request's bytes, and with
 * `stuck` it never finishes hashing what it reads back either.
 */
function starvedWorkers({ stuck = false } = {}): HashWorkers {
  return {
    async open(state) {
      const hash = await backgroundWorkers.open(state)
      return { ...hash, tryUpdate: () => false, update: stuck ? () => new Promise<void>(() => {}) : hash.update }
    },
    terminate: async () => {},
  }
}

describe('createStreamingDigests', () => {
  it('continues the hash across requests and digests the whole upload without reading it', async () => {
    const bytes = randomBytes(300_000)
    const digests = digestsWith()
    await sendPatch(digests, bytes.subarray(0, 100_000))
    await sendPatch(digests, bytes.subarray(100_000, 250_000))
    expect(await checkpoints.get('up')).toMatchObject({ offset: 250_000 })

    const last = await digests.track(patchRequest(bytes.subarray(250_000)), 'up', 250_000)
    await storeBody(last)
    expect(await digestsWith().digestOf(upload(bytes.length))).toBeUndefined()
    expect(await digests.digestOf(upload(bytes.length), last)).toBe(sha256(bytes))
    await digests.settle(last, answered(bytes.length))
    expect(await checkpoints.get('up')).toBeUndefined()
  })

  it('drops the checkpoint when fewer bytes were stored than hashed, and then cannot digest', async () => {
    const bytes = randomBytes(200_000)
    const digests = digestsWith()
    await sendPatch(digests, bytes.subarray(0, 50_000))
    await sendPatch(digests, bytes.subarray(50_000, 120_000), 30_000)
    expect(stored.length).toBe(80_000)
    expect(await checkpoints.get('up')).toBeUndefined()

    const last = await digests.track(patchRequest(bytes.subarray(80_000)), 'up', 80_000)
    await storeBody(last)
    expect(await digests.digestOf(upload(bytes.length), last)).toBeUndefined()
  })

  // A sole writer also holds the upload's hash open at the offset it saw; another offset closes it.
  it.each([false, true])('catches up on stored bytes past the checkpoint where the store can read them (sole writer: %s)', async (soleWriter) => {
    const bytes = randomBytes(200_000)
    const digests = digestsWith({ readStored: true, soleWriter })
    await sendPatch(digests, bytes.subarray(0, 50_000))
    // A killed process (or another writer, before a failover) stored bytes this one never saw.
    stored = Buffer.concat([stored, bytes.subarray(50_000, 90_000)])

    const last = await digests.track(patchRequest(bytes.subarray(90_000)), 'up', 90_000)
    await storeBody(last)
    expect(await digests.digestOf(upload(bytes.length), last)).toBe(sha256(bytes))
  })

  it('gives the digest from a checkpoint at the final offset (a zero-length final PATCH)', async () => {
    const bytes = randomBytes(64_000)
    const digests = digestsWith()
    await sendPatch(digests, bytes)
    expect(await digestsWith().digestOf(upload(bytes.length))).toBe(sha256(bytes))
  })

  it('does not hash a request whose start has neither a checkpoint nor readable bytes', async () => {
    const bytes = randomBytes(10_000)
    stored = Buffer.from(bytes.subarray(0, 4_000))
    const digests = digestsWith()
    const request = await digests.track(patchRequest(bytes.subarray(4_000)), 'up', 4_000)
    await storeBody(request)
    await digests.settle(request, answered(bytes.length))
    expect(await digests.digestOf(upload(bytes.length), request)).toBeUndefined()
    expect(await checkpoints.get('up')).toBeUndefined()
  })

  it('continues from the checkpoint it remembers without reading the store, which it still writes', async () => {
    const bytes = randomBytes(180_000)
    let reads = 0
    const counted: HashCheckpoints = { ...checkpoints, get: (id) => (reads++, checkpoints.get(id)) }
    const digests = digestsWith({ soleWriter: true, store: counted })
    for (let offset = 0; offset < 150_000; offset += 50_000) await sendPatch(digests, bytes.subarray(offset, offset + 50_000))
    expect(reads).toBe(0)
    await expect.poll(() => checkpoints.get('up')).toMatchObject({ offset: 150_000 })

    // Another instance, or this one after a restart, reads it from the store.
    const other = digestsWith()
    const again = await other.track(patchRequest(bytes.subarray(150_000)), 'up', 150_000)
    await storeBody(again)
    expect(await other.digestOf(upload(bytes.length), again)).toBe(sha256(bytes))
  })
  it('as the sole writer, answers without waiting for the hash and continues the same open hash', async () => {
    const { digests, opened, releaseSaves } = laggingSoleWriter()
    const bytes = randomBytes(200_000)
    for (let offset = 0; offset < 150_000; offset += 50_000) await sendPatch(digests, bytes.subarray(offset, offset + 50_000))
    expect(opened()).toBe(1)
    expect(await checkpoints.get('up')).toBeUndefined()

    releaseSaves()
    await digests.flush()
    expect(await checkpoints.get('up')).toMatchObject({ offset: 150_000 })
    const last = await digests.track(patchRequest(bytes.subarray(150_000)), 'up', 150_000)
    await storeBody(last)
    expect(await digests.digestOf(upload(bytes.length), last)).toBe(sha256(bytes))
    expect(opened()).toBe(1)
  })

  it('writes no checkpoint saved behind once the upload is forgotten (terminated)', async () => {
    const { digests, releaseSaves } = laggingSoleWriter()
    await sendPatch(digests, randomBytes(50_000))
    await digests.forget('up')
    releaseSaves()
    await digests.flush()
    expect(await checkpoints.get('up')).toBeUndefined()
  })

  describe('as the sole writer on a store that reads back: the verdict from memory, checkpoints trailing', () => {
    it('digests from memory and opens no hash that the sender waits for', async () => {
      const foreground = counted(workers)
      const digests = digestsWith({ soleWriter: true, readStored: true, workers: foreground.workers, trailWorkers: starvedWorkers({ stuck: true }) })
      const bytes = randomBytes(260_000)
      for (let offset = 0; offset < 200_000; offset += 50_000) await sendPatch(digests, bytes.subarray(offset, offset + 50_000))
      const last = await digests.track(patchRequest(bytes.subarray(200_000)), 'up', 200_000)
      await storeBody(last)
      expect(await digests.digestOf(upload(bytes.length), last)).toBe(sha256(bytes))
      expect(foreground.opened()).toBe(0)
    })

    it('checkpoints behind the upload, reading back what the trail missed, for another process to continue', async () => {
      const digests = digestsWith({ soleWriter: true, readStored: true, trailWorkers: starvedWorkers() })
      const bytes = randomBytes(230_000)
      for (let offset = 0; offset < 150_000; offset += 50_000) await sendPatch(digests, bytes.subarray(offset, offset + 50_000))
      await expect.poll(() => checkpoints.get('up')).toMatchObject({ offset: 150_000 })
      await digests.flush()

      const other = digestsWith()
      const again = await other.track(patchRequest(bytes.subarray(150_000)), 'up', 150_000)
      await storeBody(again)
      expect(await other.digestOf(upload(bytes.length), again)).toBe(sha256(bytes))
    })

    it('after a write that stored fewer bytes than it hashed, continues from the stored bytes, never the memory', async () => {
      const digests = digestsWith({ soleWriter: true, readStored: true, trailWorkers: backgroundWorkers })
      const bytes = randomBytes(200_000)
      await sendPatch(digests, bytes.subarray(0, 50_000))
      await sendPatch(digests, bytes.subarray(50_000, 120_000), 30_000)
      expect(stored.length).toBe(80_000)

      const last = await digests.track(patchRequest(bytes.subarray(80_000)), 'up', 80_000)
      await storeBody(last)
      expect(await digests.digestOf(upload(bytes.length), last)).toBe(sha256(bytes))
      // The trail's checkpoints land behind the requests; they must not outlive the store.
      await digests.flush()
    })

    it('never makes a request wait for the trail’s thread to open its hash', async () => {
      // A fake for a background thread that never gets the CPU to open a hash.
      const neverOpens: HashWorkers = { open: () => new Promise(() => {}), terminate: async () => {} }
      const digests = digestsWith({ soleWriter: true, readStored: true, trailWorkers: neverOpens })
      const bytes = randomBytes(150_000)
      await sendPatch(digests, bytes.subarray(0, 50_000))
      await sendPatch(digests, bytes.subarray(50_000, 100_000))
      const last = await digests.track(patchRequest(bytes.subarray(100_000)), 'up', 100_000)
      await storeBody(last)
      expect(await digests.digestOf(upload(bytes.length), last)).toBe(sha256(bytes))
    })

    it('opens no trail for a request that brings the whole upload; cut short, the next one reads the stored bytes back', async () => {
      const trail = counted(backgroundWorkers)
      const digests = digestsWith({ soleWriter: true, readStored: true, trailWorkers: trail.workers })
      const bytes = randomBytes(200_000)
      const whole = (body: Uint8Array) =>
        new Request('http://ferry.test/files/up', {
          method: 'PATCH',
          headers: { 'Content-Length': String(body.length) },
          body,
          duplex: 'half',
        } as RequestInit)
      const cut = await digests.track(whole(bytes), 'up', 0, bytes.length)
      await storeBody(cut, 70_000)
      await digests.settle(cut, failed())
      expect(trail.opened()).toBe(0)

      const rest = await digests.track(whole(bytes.subarray(70_000)), 'up', 70_000, bytes.length)
      await storeBody(rest)
      expect(await digests.digestOf(upload(bytes.length), rest)).toBe(sha256(bytes))
      expect(trail.opened()).toBe(0)
      // A request with only part of the upload gets its trail, for the checkpoints.
      stored = Buffer.alloc(0)
      await digests.track(whole(bytes.subarray(0, 100_000)), 'next', 0, bytes.length)
      expect(trail.opened()).toBe(1)
      await digests.flush()
    })

    it('writes no trailing checkpoint once the upload is finished', async () => {
      const digests = digestsWith({ soleWriter: true, readStored: true, trailWorkers: starvedWorkers() })
      const bytes = randomBytes(120_000)
      await sendPatch(digests, bytes.subarray(0, 60_000))
      const last = await digests.track(patchRequest(bytes.subarray(60_000)), 'up', 60_000)
      await storeBody(last)
      expect(await digests.digestOf(upload(bytes.length), last)).toBe(sha256(bytes))
      await digests.settle(last, answered(bytes.length))
      await digests.flush()
      expect(await checkpoints.get('up')).toBeUndefined()
    })
  })
})
