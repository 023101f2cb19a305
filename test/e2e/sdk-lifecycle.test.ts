import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/browser.js'
import { type FaultProxy, type ProxiedRequest, startFaultProxy } from '../helpers/faultProxy.js'
import { type GeneratedFile, generateFile } from '../helpers/files.js'
import { expectStored as expectStoredOn, startUpload, uploadOutcome, uploadState } from '../helpers/sdkPage.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'

const MIB = 1024 * 1024
const fastRetry = { retry: { baseDelay: 50, maxDelay: 200, maxAttempts: 6 } }

type PageUpload = { start(): Promise<unknown>; pause(): Promise<void>; cancel(): Promise<void>; state: string }
type PageRecord = { upload: PageUpload; events: { type: string; payload: unknown }[]; states: string[] }

const isCreation = (request: ProxiedRequest) => request.method === 'POST' && request.path.startsWith('/files')

/**
 * The SDK's upload lifecycle in Chromium against the real server, where calls and faults meet
 * work in flight: a pause or cancel during set-up, failures of the requests that re-read the
 * offset or deliver the digest, starting while offline, restarting from an error listener.
 */
describe('the SDK in Chromium: calls and faults while work is in flight', () => {
  let server: ServerProcess
  let proxy: FaultProxy
  let browser: BrowserContext
  let page: Page
  let file9: GeneratedFile

  beforeAll(async () => {
    const store = await prepareStore('disk')
    server = await startServerProcess({ ...store.env, FERRY_PROCESSING: 'false' })
    browser = await launchChromium()
    file9 = await generateFile(9 * MIB + 77, 'nine.bin')
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
    await browser.setOffline(false)
    await page?.close()
    await proxy?.close()
  })

  const expectStored = (outcome: { file?: { url: string; sha256: string } }, source: GeneratedFile) =>
    expectStoredOn(server.url, outcome, source)

  it('gives a file of fewer chunks than parallelUploads one part per chunk, and one chunk a single request', async () => {
    const threeChunks = await generateFile(5 * MIB + 3, 'three-chunks.bin')
    await page.setInputFiles('#picker', threeChunks.path)
    await startUpload(page, { chunkSize: 2 * MIB, parallelUploads: 4, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    expect(proxy.requests.filter((request) => isCreation(request) && request.concat === 'partial')).toHaveLength(3)
    await expectStored(outcome, threeChunks)

    const oneChunk = await generateFile(MIB + 1, 'one-chunk.bin')
    const before = proxy.requests.length
    await page.setInputFiles('#picker', oneChunk.path)
    await startUpload(page, { chunkSize: 2 * MIB, parallelUploads: 4, ...fastRetry })
    const single = await uploadOutcome(page)
    expect(single.error).toBeUndefined()
    const requests = proxy.requests.slice(before).filter((request) => request.path.startsWith('/files') && request.method !== 'OPTIONS')
    expect(requests.map((request) => `${request.method} ${request.concat ?? ''}`.trim())).toEqual(['POST'])
    await expectStored(single, oneChunk)
  })

  it('pausing and starting again during set-up runs one upload of the file, not two', async () => {
    await page.setInputFiles('#picker', file9.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry }, 'void upload.pause(); void upload.start()')
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    expect(proxy.requests.filter(isCreation)).toHaveLength(1)
    expect(outcome.events.filter((event) => event.type === 'success')).toHaveLength(1)
    await expectStored(outcome, file9)
  })

  it('cancelled during set-up, it sends nothing and hashes nothing', async () => {
    await page.setInputFiles('#picker', file9.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry }, 'void upload.cancel()')
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toMatchObject({ code: 'cancelled' })
    await new Promise((resolve) => setTimeout(resolve, 1000)) // time for a hash or a request to show
    const record = await page.evaluate(() => (window as unknown as { __ferry: PageRecord }).__ferry)
    expect(record.events.filter((event) => event.type === 'hash-progress')).toEqual([])
    expect(proxy.requests.filter((request) => request.path.startsWith('/files'))).toEqual([])
    expect(await uploadState(page)).toBe('cancelled')
  })

  for (const status of [503, 429]) {
    it(`keeps its upload when the offset check (HEAD) of a retry is answered ${status}: no second creation`, async () => {
      proxy.injectOnPatch({ kind: 'status', status: 503, times: 1 })
      proxy.injectWhen((request) => request.method === 'HEAD', { kind: 'status', status, times: 2 })
      await page.setInputFiles('#picker', file9.path)
      await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry })
      const outcome = await uploadOutcome(page)
      expect(outcome.error).toBeUndefined()
      expect(proxy.requests.filter(isCreation)).toHaveLength(1)
      expect(proxy.requests.filter((request) => request.method === 'HEAD').map((request) => request.status)).toEqual([
        status,
        status,
        200,
      ])
      const retries = outcome.events.filter((event) => event.type === 'retry').map((event) => event.payload)
      expect(retries).toMatchObject([{ status: 503 }, { status }, { status }])
      await expectStored(outcome, file9)
    })
  }

  it('sends the request delivering the digest again when its answer is lost, and never the file', async () => {
    // The last chunk's answer is lost, so the SDK learns from the HEAD that the upload is
    // complete and delivers the digest in a request of its own, whose answer is lost too.
    proxy.injectWhen((request) => request.method === 'PATCH' && request.offset === 8 * MIB, { kind: 'lose-answer', times: 1 })
    proxy.injectWhen((request) => request.method === 'PATCH' && request.offset === file9.size, {
      kind: 'lose-answer',
      times: 1,
    })
    await page.setInputFiles('#picker', file9.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    const patches = proxy.requests.filter((request) => request.method === 'PATCH').map((request) => request.offset)
    expect(patches).toEqual([0, 4 * MIB, 8 * MIB, file9.size, file9.size])
    expect(proxy.requests.filter(isCreation)).toHaveLength(1)
    expect(outcome.file?.state).toBe('verified')
    expect(await page.evaluate(() => (window as unknown as { Ferry: typeof import('@ferry/sdk') }).Ferry.findPreviousUploads().then((uploads) => uploads.length))).toBe(0)
    await expectStored(outcome, file9)
  })

  it('started while the browser is offline, it waits without spending retries and goes once it is back', async () => {
    await browser.setOffline(true)
    await page.setInputFiles('#picker', file9.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry })
    await expect.poll(() => uploadState(page), { timeout: 5000 }).toBe('paused')
    await new Promise((resolve) => setTimeout(resolve, 1000)) // longer than every backoff together
    expect(await uploadState(page)).toBe('paused')
    await browser.setOffline(false)
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    expect(outcome.events.filter((event) => event.type === 'retry')).toEqual([])
    await expectStored(outcome, file9)
  })

  it('paused by the caller while it waits for the network, it stays paused when the network is back', async () => {
    await browser.setOffline(true)
    await page.setInputFiles('#picker', file9.path)
    await startUpload(page, { chunkSize: 4 * MIB, ...fastRetry })
    await expect.poll(() => uploadState(page), { timeout: 5000 }).toBe('paused')
    await page.evaluate(() => (window as unknown as { __ferry: PageRecord }).__ferry.upload.pause())
    await browser.setOffline(false)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(await uploadState(page)).toBe('paused')
    expect(proxy.requests.filter((request) => request.path.startsWith('/files') && request.method !== 'OPTIONS')).toEqual([])
    await page.evaluate(() => void (window as unknown as { __ferry: PageRecord }).__ferry.upload.start())
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    await expectStored(outcome, file9)
  })

  it('a HEAD that never answers is restarted by the stall watchdog', async () => {
    proxy.injectOnPatch({ kind: 'status', status: 503, times: 1 })
    proxy.injectWhen((request) => request.method === 'HEAD', { kind: 'stall', times: 1 })
    await page.setInputFiles('#picker', file9.path)
    await startUpload(page, { chunkSize: 4 * MIB, stallTimeout: 1500, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    const reasons = outcome.events.filter((event) => event.type === 'retry').map((event) => (event.payload as { reason: string }).reason)
    expect(reasons).toEqual(['server-error', 'stalled'])
    await expectStored(outcome, file9)
  })

  it('fails with stalled once every restart stalls too, instead of restarting for ever', async () => {
    proxy.injectOnPatch({ kind: 'stall', times: 10 })
    await page.setInputFiles('#picker', file9.path)
    await startUpload(page, { chunkSize: 4 * MIB, stallTimeout: 400, retry: { baseDelay: 50, maxDelay: 200, maxAttempts: 2 } })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toMatchObject({ code: 'stalled' })
    expect(outcome.events.filter((event) => event.type === 'retry')).toHaveLength(2)
  })

  it('restarted from its error listener, the new start() gets its own outcome and the first one the error', async () => {
    proxy.injectOnPatch({ kind: 'status', status: 403, times: 1 })
    await page.setInputFiles('#picker', file9.path)
    const restarted = await page.evaluate(async () => {
      const Ferry = (window as unknown as { Ferry: typeof import('@ferry/sdk') }).Ferry
      const file = (document.getElementById('picker') as HTMLInputElement).files?.[0] as File
      const upload = new Ferry.FerryUpload(file, { endpoint: '/files/', chunkSize: 4 * 1024 * 1024 })
      let second: Promise<{ sha256: string }> | undefined
      const restart = () => {
        upload.off('error', restart)
        second = upload.start()
      }
      upload.on('error', restart)
      const first = await upload.start().then(
        () => 'resolved',
        (error: { status?: number }) => `rejected ${error.status}`,
      )
      const then = await second?.then(
        (stored) => stored.sha256,
        (error: { code: string }) => `rejected ${error.code}`,
      )
      return { first, then }
    })
    expect(restarted).toEqual({ first: 'rejected 403', then: file9.sha256 })
  })

  it('cancelled while its deletion is answered 503, it settles at once and stays cancelled', async () => {
    proxy.throttle(4 * MIB)
    proxy.injectWhen((request) => request.method === 'DELETE', { kind: 'status', status: 503, times: 2 })
    await page.setInputFiles('#picker', file9.path)
    await startUpload(page, { chunkSize: 2 * MIB, ...fastRetry })
    await expect.poll(() => proxy.requests.filter((request) => request.method === 'PATCH').length).toBeGreaterThan(0)
    const cancelled = await page.evaluate(async () => {
      const record = (window as unknown as { __ferry: PageRecord & { outcome: Promise<{ error?: { code: string } }> } }).__ferry
      const deletion = record.upload.cancel()
      const settled = await Promise.race([record.outcome, new Promise((resolve) => setTimeout(() => resolve('pending'), 100))])
      await deletion
      return { settled, state: record.upload.state, retries: record.events.filter((event) => event.type === 'retry').length }
    })
    expect(cancelled).toEqual({ settled: { error: expect.objectContaining({ code: 'cancelled' }) }, state: 'cancelled', retries: 0 })
    expect(proxy.requests.filter((request) => request.method === 'DELETE').map((request) => request.status)).toEqual([503, 503, 204])
  })

  it('asks the server for its extensions again after an OPTIONS that failed', async () => {
    proxy.injectWhen((request) => request.method === 'OPTIONS', { kind: 'status', status: 503, times: 1 })
    const small = await generateFile(300 * 1024, 'small.bin')
    const creations = () => proxy.requests.filter((request) => request.path.startsWith('/files') && request.method !== 'OPTIONS')
    for (const round of [1, 2]) {
      await page.setInputFiles('#picker', small.path)
      await startUpload(page, { chunkSize: 2 * MIB, ...fastRetry })
      const outcome = await uploadOutcome(page)
      expect(outcome.error).toBeUndefined()
      await expectStored(outcome, small)
      // Nothing known of the server: a creation, then a PATCH; once known: one request with the bytes.
      if (round === 1) expect(creations().map((request) => request.method)).toEqual(['POST', 'PATCH'])
    }
    expect(creations().map((request) => request.method)).toEqual(['POST', 'PATCH', 'POST'])
  })

  it('sends a damaged first chunk of each parallel part again: the one resend each chunk has is its own', async () => {
    const damaged = new Set<string>() // each part's first PATCH once, not its resend
    const firstOfPart = (request: ProxiedRequest) =>
      request.method === 'PATCH' && request.offset === 0 && !damaged.has(request.path) && Boolean(damaged.add(request.path))
    proxy.injectWhen(firstOfPart, { kind: 'flip-byte', times: 2 })
    await page.setInputFiles('#picker', file9.path)
    await startUpload(page, { chunkSize: 2 * MIB, parallelUploads: 2, ...fastRetry })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    expect(proxy.requests.filter((request) => request.status === 460)).toHaveLength(2)
    await expectStored(outcome, file9)
  })

  it('a resume record that cannot be written (a storage fake that always fails) does not stop the upload', async () => {
    await page.setInputFiles('#picker', file9.path)
    await page.evaluate(() => {
      type Win = typeof window & { Ferry: typeof import('@ferry/sdk'); __ferry: unknown }
      const win = window as Win
      const file = (document.getElementById('picker') as HTMLInputElement).files?.[0] as File
      // Named as what it is: a storage whose writes fail as a full quota would make them fail.
      const memory = new win.Ferry.MemoryUrlStorage()
      const full = () => Promise.reject(new DOMException('quota exceeded', 'QuotaExceededError'))
      const quotaExceeded = {
        findAllUploads: () => memory.findAllUploads(),
        findUploadsByFingerprint: (fingerprint: string) => memory.findUploadsByFingerprint(fingerprint),
        addUpload: full,
        removeUpload: full,
        saveHashState: full,
        loadHashState: (key: string) => memory.loadHashState(key),
      }
      const upload = new win.Ferry.FerryUpload(file, { endpoint: '/files/', chunkSize: 4 * 1024 * 1024, urlStorage: quotaExceeded, stallTimeout: 3000 })
      win.__ferry = {
        upload,
        events: [],
        states: [],
        outcome: upload.start().then(
          (stored) => ({ file: stored }),
          (error: { code: string; message: string }) => ({ error: { code: error.code, message: error.message } }),
        ),
      }
    })
    const outcome = await uploadOutcome(page)
    expect(outcome.error).toBeUndefined()
    expect(proxy.requests.filter(isCreation)).toHaveLength(1)
    await expectStored(outcome, file9)
  })
})
