import { readFile, truncate } from 'node:fs/promises'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/browser.js'
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy.js'
import { type GeneratedFile, generateFile, sha256, sha256OfResponse } from '../helpers/files.js'
import { expectStored as expectStoredOn, startUpload, uploadOutcome, uploadState, waitForUploaded } from '../helpers/sdkPage.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore, type StoreUnderTest } from '../helpers/stores.js'
import { startStockTusServer } from '../helpers/stockTusServer.js'
import { TUS } from '../helpers/tus.js'

const MIB = 1024 * 1024
const fastRetry = { retry: { baseDelay: 50, maxDelay: 200, maxAttempts: 6 } }

/** The tus requests `proxy` passed on (not the SDK's OPTIONS), as `METHOD status`. */
function tusRequests(proxy: FaultProxy): string[] {
  return proxy.requests
    .filter((request) => request.path.startsWith('/files') && request.method !== 'OPTIONS')
    .map((request) => `${request.method} ${request.status}`)
}

describe('the SDK in Chromium, through a misbehaving network', () => {
  let server: ServerProcess
  let proxy: FaultProxy
  let browser: BrowserContext
  let page: Page
  let file12: GeneratedFile
  let store: StoreUnderTest

  beforeAll(async () => {
    store = await prepareStore('disk')
    server = await startServerProcess({ ...store.env, FERRY_PROCESSING: 'false' })
    browser = await launchChromium()
    file12 = await generateFile(12 * MIB + 333, 'twelve.bin')
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })
  beforeEach(async () => {
    proxy = await startFaultProxy(server.url)
    page = await browser.newPage()
    await page.goto(`${proxy.url}/test.html`)
  })
  afterEach(async () => {
    await page?.close()
    await proxy?.close()
  })

  async function listedFileIds(): Promise<string[]> {
    const listed = (await (await fetch(`${server.url}/api/files?limit=100`)).json()) as { files: Array<{ id: string }> }
    return listed.files.map((file) => file.id)
  }

  const expectStored = (outcome: { file?: { url: string; sha256: string } }, source: GeneratedFile) =>
    expectStoredOn(server.url, outcome, source)

  it('retries 503 answers with backoff and completes byte-exact', async () => {
    proxy.injectOnPatch({ kind: 'status', status: 503, times: 3 })
    await page.setInputFiles('#picker', file12.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    const retries = outcome.events.filter((event) => event.type === 'retry').map((event) => event.payload)
    expect(retries).toHaveLength(3)
    expect(retries).toMatchObject([
      { attempt: 1, reason: 'server-error', status: 503 },
      { attempt: 2, reason: 'server-error', status: 503 },
      { attempt: 3, reason: 'server-error', status: 503 },
    ])
    expect(outcome.states).toContain('retrying')
    await expectStored(outcome, file12)
  })

  it('waits as long as a 429 Retry-After asks', async () => {
    proxy.injectOnPatch({ kind: 'status', status: 429, headers: { 'Retry-After': '2' }, times: 1 })
    await page.setInputFiles('#picker', file12.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry })
    const outcome = await uploadOutcome(page)
    const retry = outcome.events.find((event) => event.type === 'retry')?.payload
    expect(retry).toMatchObject({ reason: 'rate-limited', delay: 2000, status: 429 })
    const patches = proxy.requests.filter((request) => request.method === 'PATCH')
    expect(patches[0]?.status).toBe(429)
    await expectStored(outcome, file12)
  })

  it('aborts a stalled request and resumes from the server offset', async () => {
    proxy.injectOnPatch({ kind: 'stall', times: 1 })
    await page.setInputFiles('#picker', file12.path)
    await startUpload(page, { chunkSize: 4 * MIB, stallTimeout: 1500, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    expect(outcome.events.some((event) => event.type === 'retry' && (event.payload as { reason: string }).reason === 'stalled')).toBe(true)
    await expectStored(outcome, file12)
  })

  it('sends a chunk damaged in transit again when the server refuses its checksum (460)', async () => {
    proxy.injectOnPatch({ kind: 'flip-byte', times: 1 })
    await page.setInputFiles('#picker', file12.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    expect(outcome.events.find((event) => event.type === 'retry')?.payload).toMatchObject({
      reason: 'checksum-mismatch',
      status: 460,
    })
    expect(proxy.requests.filter((request) => request.status === 460)).toHaveLength(1)
    await expectStored(outcome, file12)
  })

  it('sends a file that fits in one chunk with its creation: one request, checksummed and verified', async () => {
    const small = await generateFile(3 * MIB + 17, 'one-chunk.bin')
    await page.setInputFiles('#picker', small.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    expect(tusRequests(proxy)).toEqual(['POST 201'])
    expect(proxy.requests.find((request) => request.method === 'POST')?.checksum).toBe(true)
    expect(outcome.file).toMatchObject({ state: 'verified', size: small.size })
    await expectStored(outcome, small)
  })

  it('sends a creation again when the server refuses the checksum of the bytes it carried (460)', async () => {
    const small = await generateFile(3 * MIB + 17, 'one-chunk-flipped.bin')
    proxy.injectOnCreationWithUpload({ kind: 'flip-byte', times: 1 })
    const listedBefore = await listedFileIds()
    await page.setInputFiles('#picker', small.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    expect(outcome.events.find((event) => event.type === 'retry')?.payload).toMatchObject({
      reason: 'checksum-mismatch',
      status: 460,
    })
    expect(tusRequests(proxy)).toEqual(['POST 460', 'POST 201'])
    // The refused creation left nothing behind: only the second one's file is new.
    expect((await listedFileIds()).filter((id) => !listedBefore.includes(id))).toEqual([outcome.file?.id])
    await expectStored(outcome, small)
  })

  it('the hash worker digests each whole chunk as it reads the file, also after a checkpoint', async () => {
    await page.setInputFiles('#picker', file12.path)
    const digested = await page.evaluate(async (MIB) => {
      const { Ferry } = window as unknown as { Ferry: typeof import('@ferry/sdk') }
      const file = (document.getElementById('picker') as HTMLInputElement).files?.[0] as File
      const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
      const run = async (chunkSize: number, resumeFrom?: { state: Uint8Array; offset: number }) => {
        const chunks: { start: number; end: number; sha256: string }[] = []
        const checkpoints: { state: Uint8Array; offset: number }[] = []
        const digest = await new Ferry.WorkerHasher({ checkpointBytes: 4 * MIB }).digest(file, {
          ...(resumeFrom ? { resumeFrom } : {}),
          onCheckpoint: (checkpoint) => checkpoints.push(checkpoint),
          chunkDigests: { chunkSize, onChunk: ({ start, end, digest }) => chunks.push({ start, end, sha256: hex(digest) }) },
        })
        return { sha256: hex(digest), chunks, checkpoints }
      }
      const whole = await run(4 * MIB)
      const checkpoint = whole.checkpoints[0] as { state: Uint8Array; offset: number }
      const resumed = await run(3 * MIB, checkpoint)
      return { whole, resumed: { ...resumed, from: checkpoint.offset, checkpoints: [] } }
    }, MIB)
    const bytes = await readFile(file12.path)
    const expected = (chunkSize: number, from: number) =>
      Array.from({ length: Math.ceil((bytes.length - from) / chunkSize) }, (_, index) => {
        const start = from + index * chunkSize
        const end = Math.min(start + chunkSize, bytes.length)
        return { start, end, sha256: sha256(bytes.subarray(start, end)) }
      })
    expect(digested.whole.sha256).toBe(file12.sha256)
    expect(digested.whole.chunks).toEqual(expected(4 * MIB, 0))
    expect(digested.resumed.from).toBe(4 * MIB)
    expect(digested.resumed.sha256).toBe(file12.sha256)
    // From a checkpoint at 4 MiB, 3 MiB chunks start at 6 MiB: the one straddling it is not whole.
    expect(digested.resumed.chunks).toEqual(expected(3 * MIB, 6 * MIB))
  })

  it('fails the hash with hash-failed when the file changes on disk while it is read', async () => {
    const changing = await generateFile(12 * MIB, 'changing.bin')
    await page.setInputFiles('#picker', changing.path)
    // The page must know the picked file as it was (12 MiB) before it changes; otherwise the File
    // may describe the truncated one, which reads without fault.
    const pickedSize = await page.evaluate(() => (document.getElementById('picker') as HTMLInputElement).files?.[0]?.size)
    expect(pickedSize).toBe(12 * MIB)
    // A real fault: Chromium refuses to read a picked file whose size or date changed since.
    await truncate(changing.path, 6 * MIB)
    const failure = await page.evaluate(async () => {
      const { Ferry } = window as unknown as { Ferry: typeof import('@ferry/sdk') }
      const file = (document.getElementById('picker') as HTMLInputElement).files?.[0] as File
      try {
        await new Ferry.WorkerHasher().digest(file, { chunkDigests: { chunkSize: 4 * 1024 * 1024, onChunk: () => {} } })
        return { code: 'none', name: '' }
      } catch (error) {
        return { code: (error as { code?: string }).code, name: (error as Error).name }
      }
    })
    expect(failure).toEqual({ code: 'hash-failed', name: 'FerryError' })
  })

  it('starts the hash workers ahead when asked, and hashes with those', async () => {
    await page.setInputFiles('#picker', file12.path)
    const started = await page.evaluate(async () => {
      const { Ferry } = window as unknown as { Ferry: typeof import('@ferry/sdk') }
      const file = (document.getElementById('picker') as HTMLInputElement).files?.[0] as File
      const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
      const Original = window.Worker
      let workers = 0
      window.Worker = class extends Original {
        constructor(...args: ConstructorParameters<typeof Worker>) {
          super(...args)
          workers += 1
        }
      }
      try {
        const hasher = new Ferry.WorkerHasher()
        hasher.prepare()
        hasher.prepare()
        const prepared = workers
        const first = hex(await hasher.digest(file))
        const afterDigest = workers
        // Given back unused, the pair waits among the idle ones, and the next digest takes it.
        hasher.prepare()()
        const second = hex(await hasher.digest(file))
        return { prepared, afterDigest, total: workers, first, second }
      } finally {
        window.Worker = Original
      }
    })
    // Two workers a digest, one reading the file, the other hashing it; a finished pair is reused.
    expect(started).toEqual({ prepared: 2, afterDigest: 2, total: 2, first: file12.sha256, second: file12.sha256 })
  })

  it('fails with checksum-mismatch when the same chunk is damaged twice', async () => {
    proxy.injectOnPatch({ kind: 'flip-byte', times: 2 })
    await page.setInputFiles('#picker', file12.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.file).toBeUndefined()
    expect(outcome.error).toMatchObject({ name: 'FerryError', code: 'checksum-mismatch', status: 460 })
  })

  it('without chunk checksums, a flipped byte still ends in a digest error, never a success', async () => {
    proxy.injectOnPatch({ kind: 'flip-byte', times: 1 })
    await page.setInputFiles('#picker', file12.path)
    await startUpload(page, { chunkSize: 4 * MIB, chunkChecksums: false, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.file).toBeUndefined()
    expect(outcome.error).toMatchObject({ name: 'FerryError', code: 'digest-mismatch', status: 422 })
    expect(outcome.states.at(-1)).toBe('failed')
  })

  it('cancels: the promise rejects and the server forgets the upload', async () => {
    proxy.throttle(4 * MIB)
    await page.setInputFiles('#picker', file12.path)
    await startUpload(page, { chunkSize: 2 * MIB, ...fastRetry })
    await waitForUploaded(page, 2 * MIB)
    const url = await page.evaluate(() => (window as unknown as { __ferry: { upload: { url: string } } }).__ferry.upload.url)
    await page.evaluate(() => (window as unknown as { __ferry: { upload: { cancel(): Promise<void> } } }).__ferry.upload.cancel())
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toMatchObject({ code: 'cancelled' })
    expect(outcome.states.at(-1)).toBe('cancelled')
    const head = await fetch(new URL(new URL(url).pathname, server.url), { method: 'HEAD', headers: TUS })
    expect(head.status).toBe(404)
  })

  it('cancels a file sent whole in its creation: nothing of it stays on the server', async () => {
    const small = await generateFile(3 * MIB + 17, 'one-chunk-cancelled.bin')
    const before = await store.listAllButCheckpoints()
    proxy.throttle(MIB)
    await page.setInputFiles('#picker', small.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry })
    // Cancelled while the server holds the upload it created for the request.
    await expect.poll(async () => (await store.listAllButCheckpoints()).length, { timeout: 10_000 }).toBeGreaterThan(before.length)
    await page.evaluate(() => (window as unknown as { __ferry: { upload: { cancel(): Promise<void> } } }).__ferry.upload.cancel())
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toMatchObject({ code: 'cancelled' })
    expect(proxy.requests.filter((request) => request.method === 'POST')).toHaveLength(1)
    // The server removes a creation whose body was cut short once it notices the cut.
    await expect.poll(() => store.listAllButCheckpoints(), { timeout: 10_000 }).toEqual(before)
  })

  it('rejects a Windows executable renamed photo.jpg before sending a byte', async () => {
    await page.evaluate(() => {
      const bytes = new Uint8Array(4096)
      bytes.set([0x4d, 0x5a, 0x90, 0x00]) // "MZ": a PE executable
      const file = new File([bytes], 'photo.jpg', { type: 'image/jpeg' })
      const transfer = new DataTransfer()
      transfer.items.add(file)
      ;(document.getElementById('picker') as HTMLInputElement).files = transfer.files
    })
    await startUpload(page, { validation: { allowedTypes: ['image/*'] } })
    const outcome = await uploadOutcome(page)
    expect(outcome.error?.code).toMatch(/content-mismatch|type-not-allowed/)
    expect(outcome.error?.message).toContain('photo.jpg')
    expect(proxy.requests.filter((request) => request.path.startsWith('/files'))).toEqual([])
  })

  it('refuses a file over maxFileSize with a typed error', async () => {
    await page.setInputFiles('#picker', file12.path)
    await startUpload(page, { validation: { maxFileSize: 5 * MIB } })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toMatchObject({ name: 'FerryError', code: 'file-too-large' })
    expect(proxy.requests.filter((request) => request.path.startsWith('/files'))).toEqual([])
  })

  it('pauses while the browser is offline and continues when it is back', async () => {
    proxy.throttle(6 * MIB)
    await page.setInputFiles('#picker', file12.path)
    await startUpload(page, { chunkSize: 2 * MIB, ...fastRetry })
    await waitForUploaded(page, 2 * MIB)
    await browser.setOffline(true)
    await expect.poll(() => uploadState(page), { timeout: 5000 }).toBe('paused')
    await new Promise((resolve) => setTimeout(resolve, 500))
    await browser.setOffline(false)
    const outcome = await uploadOutcome(page)
    expect(outcome.error, JSON.stringify(outcome.states)).toBeUndefined()
    expect(outcome.states).toEqual(expect.arrayContaining(['paused', 'uploading']))
    await expectStored(outcome, file12)
  })

  it('resumes after a page reload from the offset kept in IndexedDB', async () => {
    const file = await generateFile(24 * MIB, 'reload.bin')
    proxy.throttle(8 * MIB)
    await page.setInputFiles('#picker', file.path)
    await startUpload(page, { chunkSize: 2 * MIB, ...fastRetry })
    await waitForUploaded(page, 8 * MIB)
    await page.reload()
    proxy.throttle(0)
    const patchesBefore = proxy.requests.filter((request) => request.method === 'PATCH').length
    const stored = await page.evaluate(async () => {
      const { Ferry } = window as unknown as { Ferry: typeof import('@ferry/sdk') }
      const storage = await Ferry.createUrlStorage()
      const file = (document.getElementById('picker') as HTMLInputElement).files?.[0]
      return {
        indexedDb: storage instanceof Ferry.IndexedDbUrlStorage,
        uploads: (await Ferry.findPreviousUploads()).length,
        // After a reload the input is empty: nothing to match by fingerprint.
        ofNoFile: file === undefined,
      }
    })
    expect(stored).toEqual({ indexedDb: true, uploads: 1, ofNoFile: true })

    await page.setInputFiles('#picker', file.path)
    await startUpload(page, { chunkSize: 2 * MIB, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    const resumed = proxy.requests.filter((request) => request.method === 'PATCH').slice(patchesBefore)
    expect(resumed[0]?.offset).toBeGreaterThanOrEqual(6 * MIB)
    expect(proxy.requests.filter((request) => request.method === 'POST')).toHaveLength(1)
    await expectStored(outcome, file)
  })

  it('continues hashing after a reload from the state saved in IndexedDB', async () => {
    const file = await generateFile(256 * MIB, 'hash-resume.bin')
    const hashing = { workerHasher: { sliceSize: MIB, checkpointBytes: 8 * MIB } }
    proxy.throttle(4 * MIB)
    await page.setInputFiles('#picker', file.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...hashing, ...fastRetry })
    await page.waitForFunction(() => {
      const record = (window as unknown as { __ferry: { events: { type: string; payload: { bytesHashed?: number } }[] } }).__ferry
      return record.events.some((event) => event.type === 'hash-progress' && (event.payload.bytesHashed ?? 0) >= 48 * 1024 * 1024)
    }, undefined, { polling: 20, timeout: 60_000 })
    await page.reload()
    proxy.throttle(0)
    await page.setInputFiles('#picker', file.path)
    await startUpload(page, { chunkSize: 8 * MIB, ...hashing, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    const hashed = outcome.events.filter((event) => event.type === 'hash-progress')
    const first = (hashed[0]?.payload as { bytesHashed: number }).bytesHashed
    // Started from a checkpoint (a multiple of 8 MiB, at least one), not from the first byte.
    expect(first).toBeGreaterThan(8 * MIB)
    expect(first).toBeLessThan(file.size)
    await expectStored(outcome, file)
  })

  it('splits a file into parallel partial uploads joined on the server', async () => {
    await page.setInputFiles('#picker', file12.path)
    await startUpload(page, { chunkSize: 2 * MIB, parallelUploads: 3, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    const creations = proxy.requests.filter((request) => request.method === 'POST').map((request) => request.concat)
    expect(creations.filter((concat) => concat === 'partial')).toHaveLength(3)
    expect(creations.filter((concat) => concat?.startsWith('final;'))).toHaveLength(1)
    expect(outcome.file?.state).toBe('verified')
    await expectStored(outcome, file12)
  })

  it('cuts parallel parts of whole chunks, whose checksums come from the hash worker, not a second read', async () => {
    // The last chunk, like every other, is larger than the page's own reads (type check, fingerprint).
    const file = await generateFile(12 * MIB + 100_000, 'parallel-aligned.bin')
    await page.setInputFiles('#picker', file.path)
    await page.evaluate(() => {
      const reads: number[] = ((window as unknown as { __reads: number[] }).__reads = [])
      const arrayBuffer = Blob.prototype.arrayBuffer
      Blob.prototype.arrayBuffer = function (this: Blob) {
        reads.push(this.size)
        return arrayBuffer.call(this)
      }
    })
    await startUpload(page, { chunkSize: 2 * MIB, parallelUploads: 3, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    expect(outcome.file?.state).toBe('verified')
    await expectStored(outcome, file)
    // 7 chunks in parts of 3, 2 and 2: every PATCH starts on a chunk of the file.
    const patches = proxy.requests.filter((request) => request.method === 'PATCH')
    expect(patches.map((request) => request.offset ?? -1).sort((a, b) => a - b)).toEqual([0, 0, 0, 2 * MIB, 2 * MIB, 2 * MIB, 4 * MIB])
    expect(patches.every((request) => request.checksum && request.status === 204)).toBe(true)
    const reads = await page.evaluate(() => (window as unknown as { __reads: number[] }).__reads)
    expect(reads.filter((size) => size > 64 * 1024)).toEqual([])
  })

  for (const { resumedWith, partsResumed } of [
    { resumedWith: { chunkSize: 2 * MIB, parallelUploads: 3 }, partsResumed: true },
    // Other parts would join the stored partial uploads into another file.
    { resumedWith: { chunkSize: MIB, parallelUploads: 3 }, partsResumed: false },
  ]) {
    it(`after a reload, ${partsResumed ? 'resumes parallel parts cut the same way' : 'starts over where the parts would be cut otherwise'}`, async () => {
      const file = await generateFile(24 * MIB + 5, 'parallel-reload.bin')
      proxy.throttle(2 * MIB) // a request's body, so about 6 MiB/s for the three parts
      await page.setInputFiles('#picker', file.path)
      await startUpload(page, { chunkSize: 2 * MIB, parallelUploads: 3, ...fastRetry })
      await waitForUploaded(page, 6 * MIB)
      await page.reload()
      proxy.throttle(0)
      const partials = () => proxy.requests.filter((request) => request.method === 'POST' && request.concat === 'partial').length
      expect(partials()).toBe(3)

      await page.setInputFiles('#picker', file.path)
      await startUpload(page, { ...resumedWith, ...fastRetry })
      const outcome = await uploadOutcome(page)
      expect(outcome.error).toBeUndefined()
      expect(partials()).toBe(partsResumed ? 3 : 6)
      expect(outcome.file?.state).toBe('verified')
      await expectStored(outcome, file)
      // No record left behind: a stale one of other parts would be found first on the next visit.
      const records = () =>
        (window as unknown as { Ferry: typeof import('@ferry/sdk') }).Ferry.findPreviousUploads().then((uploads) => uploads.length)
      expect(await page.evaluate(records)).toBe(0)
    })
  }

  it('keeps one final upload when the answer to its creation is lost, without sending the parts again', async () => {
    const filesBefore = await listedFileIds()
    proxy.injectOnFinalCreation({ kind: 'lose-answer', times: 1 })
    await page.setInputFiles('#picker', file12.path)
    await startUpload(page, { chunkSize: 2 * MIB, parallelUploads: 3, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    expect(outcome.events.find((event) => event.type === 'retry')?.payload).toMatchObject({ reason: 'network' })
    const finals = proxy.requests.filter((request) => request.method === 'POST' && request.concat?.startsWith('final'))
    expect(finals, 'the final creation was sent again').toHaveLength(2)
    const partials = proxy.requests.filter((request) => request.method === 'POST' && request.concat === 'partial')
    expect(partials, 'no part created twice').toHaveLength(3)
    const patches = proxy.requests.filter((request) => request.method === 'PATCH').map((r) => `${r.path}@${r.offset}`)
    expect(new Set(patches).size, 'no chunk sent twice').toBe(patches.length)
    expect(outcome.file?.state).toBe('verified')
    await expectStored(outcome, file12)
    // The retried creation answered with the first one's final upload instead of making a second.
    const added = (await listedFileIds()).filter((id) => !filesBefore.includes(id))
    expect(added).toEqual([outcome.file?.id])
  })

  it('uploads in parallel from a page on another origin, whose file API stays closed to it without auth', async () => {
    await page.setInputFiles('#picker', file12.path)
    // The page is the proxy's origin; the server, on another port, is another origin.
    await startUpload(page, { endpoint: `${server.url}/files/`, chunkSize: 2 * MIB, parallelUploads: 2, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    expect(outcome.file?.state).toBe('verified')
    await expectStored(outcome, file12)
    // Anonymous, with any origin allowed (the demo's defaults): no other page may list the files.
    const listed = await page.evaluate(
      (api) => fetch(api).then((response) => `answered ${response.status}`, (error: Error) => error.message),
      `${server.url}/api/files`,
    )
    expect(listed).toBe('Failed to fetch')
  })

})

describe('the SDK in Chromium against stock @tus/server', () => {
  let stock: Awaited<ReturnType<typeof startStockTusServer>>
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>
  let browser: Awaited<ReturnType<typeof launchChromium>>
  beforeEach(async () => {
    stock = await startStockTusServer()
    proxy = await startFaultProxy(stock.url)
    browser = await launchChromium()
  })
  afterEach(async () => {
    await browser.close()
    await proxy.close()
    await stock.close()
  })

  /** The page comes from the proxy's origin; `options` say where it uploads. */
  async function uploadFrom(size: number, name: string, options: Record<string, unknown>) {
    const file = await generateFile(size, name)
    const page = await browser.newPage()
    await page.goto(`${proxy.url}/test.html`)
    await page.setInputFiles('#picker', file.path)
    await startUpload(page, { ...options, ...fastRetry })
    return { file, outcome: await uploadOutcome(page) }
  }

  it('uploads from a page on another origin, sending no Repr-Digest the server did not ask for', async () => {
    // Straight to the stock server: its CORS rules allow tus headers only.
    const { file, outcome } = await uploadFrom(5 * MIB + 3, 'cross-origin.bin', {
      endpoint: `${stock.url}/files/`,
      chunkSize: 2 * MIB,
    })
    expect(outcome.error).toBeUndefined()
    expect(outcome.file).toMatchObject({ state: 'unverified', sha256: file.sha256, size: file.size })
    expect(await sha256OfResponse(await fetch(outcome.file?.url ?? ''))).toBe(file.sha256)
  })

  it('sends a file that fits in one chunk whole in its creation, as stock @tus/server allows', async () => {
    const { file, outcome } = await uploadFrom(3 * MIB + 7, 'stock-one-request.bin', {})
    expect(outcome.error).toBeUndefined()
    expect(tusRequests(proxy)).toEqual(['POST 201'])
    expect(outcome.file).toMatchObject({ state: 'unverified', sha256: file.sha256, size: file.size })
    const download = await fetch(new URL(new URL(outcome.file?.url ?? '').pathname, stock.url))
    expect(await sha256OfResponse(download)).toBe(file.sha256)
  })

  it('falls back to one stream without concatenation and reports the file as unverified', async () => {
    const { file, outcome } = await uploadFrom(9 * MIB + 5, 'stock.bin', { chunkSize: 4 * MIB, parallelUploads: 3 })
    expect(outcome.error).toBeUndefined()
    expect(proxy.requests.filter((request) => request.concat !== undefined)).toEqual([])
    expect(outcome.file).toMatchObject({ state: 'unverified', sha256: file.sha256, size: file.size })
    const download = await fetch(new URL(new URL(outcome.file?.url ?? '').pathname, stock.url))
    expect(await sha256OfResponse(download)).toBe(file.sha256)
  })
})
