import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/browser.js'
import { type FaultProxy, type ProxiedRequest, startFaultProxy } from '../helpers/faultProxy.js'
import { type GeneratedFile, generateFile, sha256OfResponse } from '../helpers/files.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'
import { TUS } from '../helpers/tus.js'

const MIB = 1024 * 1024
const ACTIVE = ['uploading', 'retrying', 'hashing', 'verifying']

/** What the page keeps about its `Uploader`, in `window.__queue`. */
interface QueueRecord {
  uploader: import('@ferry/sdk').Uploader
  /** Names of the files in the order they first started sending. */
  starts: string[]
  /** Most files in a sending state at once, as the page saw them. */
  maxActive: number
}
type QueueWindow = typeof window & { Ferry: typeof import('@ferry/sdk'); __queue: QueueRecord }

/** Creates an `Uploader` in the page and adds the picked files from `from` up to `to` to it. */
async function startUploader(page: Page, options: object, [from, to]: [number, number]) {
  await page.evaluate(
    ({ options, from, to, active }) => {
      const win = window as QueueWindow
      const picked = [...((document.getElementById('picker') as HTMLInputElement).files ?? [])]
      const uploader = new win.Ferry.Uploader({ endpoint: '/files/', ...options })
      const record: QueueRecord = { uploader, starts: [], maxActive: 0 }
      uploader.on('file-state', ({ file, state }) => {
        const name = (file.file as File).name
        if (state === 'uploading' && !record.starts.includes(name)) record.starts.push(name)
        const sending = uploader.files.filter((entry) => active.includes(entry.state)).length
        record.maxActive = Math.max(record.maxActive, sending)
      })
      uploader.add(picked.slice(from, to))
      win.__queue = record
    },
    { options, from, to, active: ACTIVE },
  )
}

/** Resolves once `count` files are sending and each has at least `bytes` acknowledged. */
async function waitForSending(page: Page, count: number, bytes = 0) {
  await page.waitForFunction(
    ({ count, bytes, active }) => {
      const files = (window as QueueWindow).__queue.uploader.files
      const sending = files.filter((file) => active.includes(file.state) && file.url)
      return sending.length === count && sending.every((file) => file.bytesUploaded >= bytes)
    },
    { count, bytes, active: ACTIVE },
    { timeout: 60_000, polling: 20 },
  )
}

/** Waits for `done()` in the page and brings back each file's outcome. */
async function queueOutcome(page: Page) {
  return page.evaluate(async () => {
    const { uploader, starts, maxActive } = (window as QueueWindow).__queue
    const result = await uploader.done()
    const describe = (file: (typeof result.succeeded)[number]) => ({
      name: (file.file as File).name,
      url: file.result?.url,
      sha256: file.result?.sha256,
      error: file.error?.message,
    })
    return {
      succeeded: result.succeeded.map(describe),
      failed: result.failed.map(describe),
      cancelled: result.cancelled.map(describe),
      starts,
      maxActive,
    }
  })
}

describe('the Uploader in Chromium, many files through a throttled proxy', () => {
  let server: ServerProcess
  let proxy: FaultProxy
  let browser: BrowserContext
  let page: Page
  let sources: GeneratedFile[]

  beforeAll(async () => {
    const store = await prepareStore('disk')
    server = await startServerProcess({ ...store.env, FERRY_PROCESSING: 'false' })
    browser = await launchChromium()
    // Eight files from just over 1 MiB to just under 3 MiB, sizes that end mid-chunk: each takes
    // a creation and PATCHes (a file of one chunk would go whole in its creation).
    sources = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        generateFile(MIB + 1 + Math.floor((2 * MIB * index) / 7) - 17 * index, `file-${index}.bin`),
      ),
    )
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })
  beforeEach(async () => {
    proxy = await startFaultProxy(server.url)
    page = await browser.newPage()
    await page.goto(`${proxy.url}/test.html`)
    await page.setInputFiles('#picker', sources.map((source) => source.path))
  })
  afterEach(async () => {
    await page?.close()
    await proxy?.close()
  })

  /**
   * Upload requests the proxy has passed on and not yet seen answered. A request abandoned for a
   * later one of the same upload (a retry) is never answered, so only each upload's latest counts.
   */
  const inFlight = () => {
    const latest = new Map<string, ProxiedRequest>()
    let creating = 0
    for (const request of proxy.requests) {
      if (request.method === 'POST') creating += Number(request.status === 0)
      else if (request.path.startsWith('/files/')) latest.set(request.path, request)
    }
    const sending = [...latest.values()].filter((request) => request.method === 'PATCH')
    return creating + sending.filter((request) => request.status === 0).length
  }

  it('sends two at a time, lets a late priority file go first, and stores every byte', async () => {
    proxy.throttle(2 * MIB)
    let maxInFlight = 0
    const sampler = setInterval(() => (maxInFlight = Math.max(maxInFlight, inFlight())), 2)
    try {
      await startUploader(page, { concurrency: 2, chunkSize: MIB }, [0, 7])
      await waitForSending(page, 2)
      await page.evaluate(() => {
        const picked = (document.getElementById('picker') as HTMLInputElement).files
        const last = picked?.[7]
        if (last) (window as QueueWindow).__queue.uploader.add([last], { priority: 10 })
      })
      const outcome = await queueOutcome(page)

      expect(outcome.failed).toEqual([])
      expect(outcome.succeeded).toHaveLength(8)
      expect(outcome.maxActive).toBe(2)
      expect(maxInFlight).toBeGreaterThan(0)
      expect(maxInFlight).toBeLessThanOrEqual(2)
      expect(proxy.requests.filter((request) => request.method === 'POST')).toHaveLength(8)
      // The two first files were already sending; the priority file overtakes the five waiting.
      expect(outcome.starts).toEqual([0, 1, 7, 2, 3, 4, 5, 6].map((index) => `file-${index}.bin`))
      for (const stored of outcome.succeeded) {
        const source = sources.find((candidate) => candidate.path.endsWith(`/${stored.name}`))
        expect(stored.sha256).toBe(source?.sha256)
        const download = await fetch(new URL(new URL(stored.url ?? '').pathname, server.url))
        expect(download.status).toBe(200)
        expect(await sha256OfResponse(download)).toBe(source?.sha256)
      }
    } finally {
      clearInterval(sampler)
    }
  })

  it('cancels the queue: uploads in flight end on the server, others never start', async () => {
    proxy.throttle(MIB)
    await startUploader(page, { concurrency: 2, chunkSize: MIB }, [4, 8])
    await waitForSending(page, 2, 256 * 1024)
    const urls = await page.evaluate(async (active) => {
      const { uploader } = (window as QueueWindow).__queue
      const sending = uploader.files.filter((file) => file.url && active.includes(file.state))
      const urls = sending.map((file) => file.url ?? '')
      await uploader.cancel()
      return urls
    }, ACTIVE)
    const outcome = await queueOutcome(page)

    expect(urls).toHaveLength(2)
    expect(outcome.cancelled.map((file) => file.name)).toEqual(
      [4, 5, 6, 7].map((index) => `file-${index}.bin`),
    )
    expect(outcome.succeeded).toEqual([])
    expect(proxy.requests.filter((request) => request.method === 'POST')).toHaveLength(2)
    for (const url of urls) {
      const path = new URL(url).pathname
      const deleted = proxy.requests.filter((request) => request.method === 'DELETE')
      expect(deleted.map((request) => request.path)).toContain(path)
      const head = await fetch(new URL(path, server.url), { method: 'HEAD', headers: TUS })
      expect(head.status).toBe(404)
    }
  })
})
