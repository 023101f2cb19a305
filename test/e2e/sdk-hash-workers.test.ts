import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/browser.js'
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy.js'

/**
 * The two-worker WorkerHasher (reader + hasher) against edge cases: every size around segment
 * boundaries, resumes from every checkpoint (aligned or not with the chunk size), a checkpoint at
 * the very end of the Blob, stale or foreign checkpoints, failures, aborts, and the workers it
 * leaves behind. Every expected digest is computed in the page with WebCrypto over the same bytes.
 */

interface RunResult {
  sha256?: string
  chunks: { start: number; end: number; sha256: string }[]
  checkpoints: { state: number[]; offset: number }[]
  progress: number[]
  error?: { name: string; code?: string; message: string }
}

/** Installed on the page as `window.review`. Self-contained: it is serialized into the page. */
function installReviewHelpers(): void {
  const { Ferry } = window as unknown as { Ferry: typeof import('@ferry/sdk') }
  const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
  const sha = async (bytes: Uint8Array<ArrayBuffer>) => hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)))
  /** Deterministic pseudo-random bytes (xorshift32), so that every chunk differs. */
  const bytesOf = (length: number, seed = 1) => {
    const out = new Uint8Array(length)
    let x = seed >>> 0 || 1
    for (let index = 0; index < length; index++) {
      x ^= x << 13
      x >>>= 0
      x ^= x >>> 17
      x ^= x << 5
      x >>>= 0
      out[index] = x & 0xff
    }
    return out
  }
  const expectedChunks = async (bytes: Uint8Array<ArrayBuffer>, chunkSize: number, from: number) => {
    const chunks: { start: number; end: number; sha256: string }[] = []
    const first = Math.ceil(from / chunkSize) * chunkSize
    for (let start = first; start < bytes.length; start += chunkSize) {
      const end = Math.min(start + chunkSize, bytes.length)
      chunks.push({ start, end, sha256: await sha(bytes.subarray(start, end)) })
    }
    return chunks
  }
  const run = async (
    blob: Blob,
    options: {
      hasher?: ConstructorParameters<typeof Ferry.WorkerHasher>[0]
      chunkSize?: number
      resumeFrom?: { state: Uint8Array; offset: number }
      signal?: AbortSignal
    } = {},
  ) => {
    const result: {
      sha256?: string
      chunks: { start: number; end: number; sha256: string }[]
      checkpoints: { state: number[]; offset: number }[]
      progress: number[]
      error?: { name: string; code?: string; message: string }
    } = { chunks: [], checkpoints: [], progress: [] }
    try {
      const digest = await new Ferry.WorkerHasher(options.hasher).digest(blob, {
        ...(options.resumeFrom ? { resumeFrom: options.resumeFrom } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (bytesHashed) => result.progress.push(bytesHashed),
        onCheckpoint: ({ state, offset }) => result.checkpoints.push({ state: Array.from(state), offset }),
        ...(options.chunkSize !== undefined
          ? {
              chunkDigests: {
                chunkSize: options.chunkSize,
                onChunk: ({ start, end, digest }) => result.chunks.push({ start, end, sha256: hex(digest) }),
              },
            }
          : {}),
      })
      result.sha256 = hex(digest)
    } catch (error) {
      const { name, message, code } = error as Error & { code?: string }
      result.error = { name, message, ...(code !== undefined ? { code } : {}) }
    }
    return result
  }
  ;(window as unknown as { review: unknown }).review = { hex, sha, bytesOf, expectedChunks, run }
}

interface Review {
  hex(bytes: Uint8Array): string
  sha(bytes: Uint8Array): Promise<string>
  bytesOf(length: number, seed?: number): Uint8Array<ArrayBuffer>
  expectedChunks(bytes: Uint8Array, chunkSize: number, from: number): Promise<RunResult['chunks']>
  run(
    blob: Blob,
    options?: {
      hasher?: { sliceSize?: number; checkpointBytes?: number; workerUrl?: string }
      chunkSize?: number
      resumeFrom?: { state: Uint8Array; offset: number }
      signal?: AbortSignal
    },
  ): Promise<RunResult>
}

describe('WorkerHasher, two workers, in Chromium', () => {
  let proxy: FaultProxy
  let browser: BrowserContext
  let page: Page

  beforeAll(async () => {
    // Only the proxy's test page and SDK bundle are used: nothing is uploaded.
    proxy = await startFaultProxy('http://127.0.0.1:9')
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await proxy?.close()
  })
  beforeEach(async () => {
    page = await browser.newPage()
    await page.goto(`${proxy.url}/test.html`)
    await page.evaluate(installReviewHelpers)
  })
  afterEach(async () => {
    await page?.close()
  })

  /** Dedicated workers still alive in the page, once the count has settled. */
  async function liveWorkers(): Promise<number> {
    // A worker started just now may not be listed yet: give it time to show up, then to go.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    let count = page.workers().length
    for (let waited = 0; waited < 3000 && count > 0; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      count = page.workers().length
    }
    return count
  }

  it('digests the whole Blob and every chunk, for sizes around the segment and chunk boundaries', async () => {
    const failures = await page.evaluate(async () => {
      const review = (window as unknown as { review: Review }).review
      const failures: string[] = []
      const sizes = [0, 1, 63, 64, 65, 999, 1000, 1001, 4095, 4096, 4097, 12_288, 12_289, 70_001]
      for (const size of sizes) {
        const bytes = review.bytesOf(size, size + 7)
        const blob = new Blob([bytes])
        const expected = await review.sha(bytes)
        for (const chunkSize of [1, 1000, 4096, 65_536]) {
          if (chunkSize === 1 && size > 4097) continue
          const result = await review.run(blob, { chunkSize })
          const chunks = await review.expectedChunks(bytes, chunkSize, 0)
          if (result.error) failures.push(`size ${size} chunk ${chunkSize}: ${result.error.message}`)
          else if (result.sha256 !== expected) failures.push(`size ${size} chunk ${chunkSize}: wrong digest`)
          else if (JSON.stringify(result.chunks) !== JSON.stringify(chunks)) {
            failures.push(`size ${size} chunk ${chunkSize}: chunks ${JSON.stringify(result.chunks.map((c) => [c.start, c.end]))}`)
          } else if (result.progress.at(-1) !== size) failures.push(`size ${size} chunk ${chunkSize}: last progress ${result.progress.at(-1)}`)
        }
        for (const sliceSize of [1000, 4096]) {
          if (size > 70_000 && sliceSize === 1000) continue
          const result = await review.run(blob, { hasher: { sliceSize } })
          if (result.sha256 !== expected) failures.push(`size ${size} slice ${sliceSize}: ${result.error?.message ?? 'wrong digest'}`)
          const steps = result.progress.every((bytes, index) => index === 0 || bytes > (result.progress[index - 1] as number))
          if (!steps || result.progress.at(-1) !== size) failures.push(`size ${size} slice ${sliceSize}: progress ${result.progress}`)
        }
      }
      return failures
    })
    expect(failures).toEqual([])
  })

  it('resumes from every checkpoint, aligned or not with the chunk size, with the right digest and whole chunks only', async () => {
    const failures = await page.evaluate(async () => {
      const review = (window as unknown as { review: Review }).review
      const failures: string[] = []
      const size = 20_000 + 17
      const bytes = review.bytesOf(size, 99)
      const blob = new Blob([bytes])
      const expected = await review.sha(bytes)
      // A checkpoint after every 700-byte segment: offsets that are multiples of no chunk size below.
      const source = await review.run(blob, { hasher: { sliceSize: 700, checkpointBytes: 1 } })
      if (source.sha256 !== expected) failures.push(`source: ${source.error?.message ?? 'wrong digest'}`)
      if (source.checkpoints.length !== Math.ceil(size / 700) - 1) failures.push(`source: ${source.checkpoints.length} checkpoints`)
      for (const { state, offset } of source.checkpoints) {
        const resumeFrom = { state: new Uint8Array(state), offset }
        for (const chunkSize of [1024, 4096, 7000, 65_536]) {
          const result = await review.run(blob, { chunkSize, resumeFrom })
          const chunks = await review.expectedChunks(bytes, chunkSize, offset)
          const label = `offset ${offset} chunk ${chunkSize}`
          if (result.error) failures.push(`${label}: ${result.error.message}`)
          else if (result.sha256 !== expected) failures.push(`${label}: wrong digest`)
          else if (JSON.stringify(result.chunks) !== JSON.stringify(chunks)) {
            failures.push(`${label}: chunks ${JSON.stringify(result.chunks.map((c) => [c.start, c.end]))}`)
          } else if (result.progress[0] !== undefined && result.progress[0] <= offset) {
            failures.push(`${label}: progress starts at ${result.progress[0]}`)
          } else if (result.progress.at(-1) !== size) failures.push(`${label}: progress ends at ${result.progress.at(-1)}`)
        }
        // Without chunk digests too, in slices that the checkpoint is not aligned with.
        const sliced = await review.run(blob, { hasher: { sliceSize: 1024 }, resumeFrom })
        if (sliced.sha256 !== expected) failures.push(`offset ${offset} slice 1024: ${sliced.error?.message ?? 'wrong digest'}`)
      }
      return failures
    })
    expect(failures).toEqual([])
  })

  it('resumes from a checkpoint at the very end of the Blob (Blob.size === resumeFrom.offset)', async () => {
    const outcome = await page.evaluate(async () => {
      const review = (window as unknown as { review: Review }).review
      const bytes = review.bytesOf(10_000, 5)
      // A checkpoint at 7000 of a longer Blob is a checkpoint at the end of its first 7000 bytes.
      const source = await review.run(new Blob([bytes]), { hasher: { sliceSize: 1000, checkpointBytes: 7000 } })
      const checkpoint = source.checkpoints[0] as { state: number[]; offset: number }
      const head = bytes.slice(0, checkpoint.offset)
      const resumeFrom = { state: new Uint8Array(checkpoint.state), offset: checkpoint.offset }
      const withChunks = await review.run(new Blob([head]), { chunkSize: 4096, resumeFrom })
      const withoutChunks = await review.run(new Blob([head]), { resumeFrom })
      return { offset: checkpoint.offset, expected: await review.sha(head), withChunks, withoutChunks }
    })
    expect(outcome.offset).toBe(7000)
    for (const result of [outcome.withChunks, outcome.withoutChunks]) {
      expect(result.error).toBeUndefined()
      expect(result.sha256).toBe(outcome.expected)
      expect(result.chunks).toEqual([])
      expect(result.progress).toEqual([7000])
    }
  })

  it('hashes from the first byte when the checkpoint is past the end, or is not a hash-wasm state', async () => {
    const outcome = await page.evaluate(async () => {
      const review = (window as unknown as { review: Review }).review
      const bytes = review.bytesOf(9000, 3)
      const blob = new Blob([bytes])
      const source = await review.run(new Blob([review.bytesOf(20_000, 4)]), { hasher: { sliceSize: 1000, checkpointBytes: 10_000 } })
      const far = source.checkpoints[0] as { state: number[]; offset: number }
      const pastEnd = await review.run(blob, { chunkSize: 4096, resumeFrom: { state: new Uint8Array(far.state), offset: far.offset } })
      const garbage = await review.run(blob, { chunkSize: 4096, resumeFrom: { state: new Uint8Array([1, 2, 3]), offset: 5000 } })
      return {
        farOffset: far.offset,
        expected: await review.sha(bytes),
        chunks: await review.expectedChunks(bytes, 4096, 0),
        pastEnd,
        garbage,
      }
    })
    expect(outcome.farOffset).toBe(10_000)
    for (const result of [outcome.pastEnd, outcome.garbage]) {
      expect(result.error).toBeUndefined()
      expect(result.sha256).toBe(outcome.expected)
      expect(result.chunks).toEqual(outcome.chunks)
    }
  })

  it('reports chunk digests in order and before the digest resolves, on a multi-MiB Blob', async () => {
    const outcome = await page.evaluate(async () => {
      const review = (window as unknown as { review: Review }).review
      const MIB = 1024 * 1024
      const bytes = review.bytesOf(13 * MIB + 5, 11)
      const blob = new Blob([bytes])
      const result = await review.run(blob, { chunkSize: MIB, hasher: { checkpointBytes: 3 * MIB } })
      return {
        result: { ...result, checkpoints: result.checkpoints.map(({ offset }) => offset) },
        expected: await review.sha(bytes),
        chunks: await review.expectedChunks(bytes, MIB, 0),
      }
    })
    expect(outcome.result.error).toBeUndefined()
    expect(outcome.result.sha256).toBe(outcome.expected)
    expect(outcome.result.chunks).toEqual(outcome.chunks)
    expect(outcome.result.checkpoints).toEqual([3, 6, 9, 12].map((mib) => mib * 1024 * 1024))
    expect(outcome.result.progress).toEqual(Array.from({ length: 14 }, (_, index) => Math.min((index + 1) * 1024 * 1024, 13 * 1024 * 1024 + 5)))
  })

  it('fails with hash-failed (and stops both workers) when the reader refuses its segment size', async () => {
    const outcome = await page.evaluate(async () => {
      const review = (window as unknown as { review: Review }).review
      const blob = new Blob([review.bytesOf(5000)])
      const zeroSlice = await review.run(blob, { hasher: { sliceSize: 0 } })
      const fractionalChunk = await review.run(blob, { chunkSize: 1.5 })
      return { zeroSlice, fractionalChunk }
    })
    expect(outcome.zeroSlice.error).toMatchObject({ name: 'FerryError', code: 'hash-failed' })
    expect(outcome.fractionalChunk.error).toMatchObject({ name: 'FerryError', code: 'hash-failed' })
    expect(await liveWorkers()).toBe(0)
  })

  it('fails with hash-failed when the worker script cannot load, prepared or not', async () => {
    const outcome = await page.evaluate(async () => {
      const review = (window as unknown as { review: Review }).review
      const blob = new Blob([review.bytesOf(5000)])
      const missing = await review.run(blob, { chunkSize: 1000, hasher: { workerUrl: '/no-such-worker.js' } })
      const { Ferry } = window as unknown as { Ferry: typeof import('@ferry/sdk') }
      const hasher = new Ferry.WorkerHasher({ workerUrl: '/no-such-worker.js' })
      hasher.prepare()
      await new Promise((resolve) => setTimeout(resolve, 500))
      const prepared = await hasher.digest(blob).then(
        () => 'resolved',
        (error: { code?: string }) => error.code,
      )
      return { missing: missing.error?.code, prepared }
    })
    expect(outcome).toEqual({ missing: 'hash-failed', prepared: 'hash-failed' })
    expect(await liveWorkers()).toBe(0)
  })

  it('aborts mid-hash with aborted and leaves no worker running', async () => {
    const outcome = await page.evaluate(async () => {
      const review = (window as unknown as { review: Review }).review
      const MIB = 1024 * 1024
      const blob = new Blob([review.bytesOf(64 * MIB, 2)])
      const controller = new AbortController()
      const running = review.run(blob, { chunkSize: MIB, signal: controller.signal })
      await new Promise((resolve) => setTimeout(resolve, 150))
      controller.abort()
      const aborted = await running
      const before = new AbortController()
      before.abort()
      const early = await review.run(blob, { signal: before.signal })
      return { aborted: aborted.error, hashed: aborted.progress.at(-1) ?? 0, early: early.error }
    })
    expect(outcome.aborted).toMatchObject({ name: 'FerryError', code: 'aborted' })
    expect(outcome.hashed).toBeLessThan(64 * 1024 * 1024)
    expect(outcome.early).toMatchObject({ name: 'FerryError', code: 'aborted' })
    expect(await liveWorkers()).toBe(0)
  })

  it('holds at most two segment buffers, none larger than a chunk, however many chunks the Blob has', async () => {
    const outcome = await page.evaluate(async () => {
      const review = (window as unknown as { review: Review }).review
      const { Ferry } = window as unknown as { Ferry: typeof import('@ferry/sdk') }
      // The bundled worker script, taken from the blob: URL WorkerHasher makes for it.
      const original = URL.createObjectURL
      let source: Blob | undefined
      URL.createObjectURL = (object: Blob | MediaSource) => {
        source = object as Blob
        return original.call(URL, object)
      }
      try {
        new Ferry.WorkerHasher().prepare()()
      } finally {
        URL.createObjectURL = original
      }
      // The same script, with every large ArrayBuffer or Uint8Array it allocates reported.
      const counting = `(() => {
        const channel = new BroadcastChannel('review-allocations')
        const report = (kind, bytes) => { if (bytes >= 65536) channel.postMessage({ kind, bytes }) }
        const wrap = (Target, kind) => new Proxy(Target, {
          construct(target, args, newTarget) {
            if (typeof args[0] === 'number') report(kind, args[0])
            return Reflect.construct(target, args, newTarget)
          },
        })
        self.ArrayBuffer = wrap(ArrayBuffer, 'ArrayBuffer')
        self.Uint8Array = wrap(Uint8Array, 'Uint8Array')
      })();\n`
      const workerUrl = URL.createObjectURL(new Blob([counting, await (source as Blob).text()], { type: 'text/javascript' }))
      const allocations: { kind: string; bytes: number }[] = []
      const channel = new BroadcastChannel('review-allocations')
      channel.onmessage = ({ data }) => allocations.push(data)
      const chunkSize = 256 * 1024
      const bytes = review.bytesOf(24 * chunkSize + 1234, 21)
      const blob = new Blob([bytes])
      const settle = () => new Promise((resolve) => setTimeout(resolve, 300))
      const whole = await review.run(blob, { chunkSize, hasher: { workerUrl, checkpointBytes: 5 * chunkSize } })
      await settle()
      const wholeAllocations = allocations.splice(0)
      const checkpoint = whole.checkpoints[1] as { state: number[]; offset: number }
      const resumed = await review.run(blob, {
        chunkSize: 3 * chunkSize,
        resumeFrom: { state: new Uint8Array(checkpoint.state), offset: checkpoint.offset },
        hasher: { workerUrl },
      })
      await settle()
      channel.close()
      const expected = await review.sha(bytes)
      return {
        whole: { ok: whole.sha256 === expected, chunks: whole.chunks.length, allocations: wholeAllocations },
        resumed: { ok: resumed.sha256 === expected, chunks: resumed.chunks.length, allocations: allocations.splice(0) },
        offset: checkpoint.offset,
      }
    })
    const chunk = 256 * 1024
    expect(outcome.offset).toBe(10 * chunk)
    expect(outcome.whole).toMatchObject({ ok: true, chunks: 25 })
    expect(outcome.whole.allocations).toEqual([
      { kind: 'ArrayBuffer', bytes: chunk },
      { kind: 'ArrayBuffer', bytes: chunk },
    ])
    // From 10 chunks in, with 3-chunk chunks: the first segment, 10 to 12, is short and not digested.
    expect(outcome.resumed).toMatchObject({ ok: true, chunks: 5 })
    expect(outcome.resumed.allocations).toEqual([
      { kind: 'ArrayBuffer', bytes: 3 * chunk },
      { kind: 'ArrayBuffer', bytes: 3 * chunk },
    ])
  })

  // FINDING (low; carried over from the one-worker version, now two workers): a request that
  // cannot be posted to the workers (here a checkpoint with a method, as a custom urlStorage might
  // return) throws inside digest()'s Promise executor after both workers were started: the promise
  // rejects with a DOMException instead of a FerryError 'hash-failed', and the workers run on.
  it('fails with hash-failed, and stops its workers, when the request cannot be sent to them', async () => {
    const outcome = await page.evaluate(async () => {
      const review = (window as unknown as { review: Review }).review
      const bytes = review.bytesOf(9000, 3)
      const source = await review.run(new Blob([bytes]), { hasher: { sliceSize: 1000, checkpointBytes: 4000 } })
      const checkpoint = source.checkpoints[0] as { state: number[]; offset: number }
      const resumeFrom = { state: new Uint8Array(checkpoint.state), offset: checkpoint.offset, describe: () => 'saved' }
      const result = await review.run(new Blob([bytes]), { resumeFrom })
      return result.error
    })
    // Now: { name: 'DataCloneError', code: 25 } and 2 workers left running.
    expect({ name: outcome?.name, code: outcome?.code, workers: await liveWorkers() }).toEqual({
      name: 'FerryError',
      code: 'hash-failed',
      workers: 0,
    })
  })

  it('hands a pair of workers that finished cleanly to the next digest, and stops it once idle', async () => {
    const outcome = await page.evaluate(async () => {
      const review = (window as unknown as { review: Review }).review
      const { Ferry } = window as unknown as { Ferry: typeof import('@ferry/sdk') }
      // Every worker the page starts is counted, by the constructor the SDK calls.
      const Original = window.Worker
      let started = 0
      window.Worker = class extends Original {
        constructor(url: string | URL, options?: WorkerOptions) {
          super(url, options)
          started++
        }
      }
      try {
        const sizes = [5000, 300_000, 1, 70_000]
        const digests: boolean[] = []
        for (const [index, size] of sizes.entries()) {
          const bytes = review.bytesOf(size, index + 11)
          // A new WorkerHasher each time, as every upload of a queue has its own.
          const hasher = new Ferry.WorkerHasher({ sliceSize: 4096 })
          if (index === 2) hasher.prepare()
          const chunks: number[] = []
          const digest = await hasher.digest(new Blob([bytes]), {
            chunkDigests: { chunkSize: 65_536, onChunk: ({ start }) => chunks.push(start) },
          })
          digests.push(review.hex(digest) === (await review.sha(bytes)) && chunks.length === Math.ceil(size / 65_536))
        }
        // A digest that fails stops its pair: the next one starts a new pair.
        const failed = await new Ferry.WorkerHasher({ sliceSize: 0 }).digest(new Blob([review.bytesOf(100)])).then(
          () => 'resolved',
          (error: { code?: string }) => error.code,
        )
        const startedBefore = started
        const after = review.bytesOf(4000, 30)
        const afterFailure = review.hex(await new Ferry.WorkerHasher().digest(new Blob([after]))) === (await review.sha(after))
        return { digests, started: startedBefore, failed, afterFailure, startedAfterFailure: started - startedBefore }
      } finally {
        window.Worker = Original
      }
    })
    expect(outcome).toEqual({ digests: [true, true, true, true], started: 2, failed: 'hash-failed', afterFailure: true, startedAfterFailure: 2 })
    // Idle pairs stop after a moment, so a page that is done uploading keeps no worker.
    expect(await liveWorkers()).toBe(0)
  })

  it('leaves no worker running after digests, concurrent digests, and prepared workers given back', async () => {
    await page.evaluate(() => {
      const { Ferry } = window as unknown as { Ferry: typeof import('@ferry/sdk') }
      const hasher = new Ferry.WorkerHasher({ sliceSize: 10_000 })
      hasher.prepare()
      ;(window as unknown as { hasher: unknown }).hasher = hasher
    })
    // page.workers() does see them: the 0 below is not for want of seeing workers at all.
    for (let waited = 0; waited < 5000 && page.workers().length < 2; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(page.workers()).toHaveLength(2)
    const outcome = await page.evaluate(async () => {
      const review = (window as unknown as { review: Review }).review
      const { hasher } = window as unknown as { hasher: InstanceType<(typeof import('@ferry/sdk'))['WorkerHasher']> }
      const bytes = review.bytesOf(300_000, 8)
      const blob = new Blob([bytes])
      // Two at once on one hasher: the first takes the prepared workers, the second starts its own.
      const [first, second] = await Promise.all([
        hasher.digest(blob),
        hasher.digest(blob, { chunkDigests: { chunkSize: 65_536, onChunk: () => {} } }),
      ])
      const release = hasher.prepare()
      release()
      release()
      return { expected: await review.sha(bytes), first: review.hex(first), second: review.hex(second) }
    })
    expect(outcome.first).toBe(outcome.expected)
    expect(outcome.second).toBe(outcome.expected)
    expect(await liveWorkers()).toBe(0)
  })
})
