import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { SignJWT } from 'jose'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/browser.js'
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy.js'
import { noisyJpeg } from '../helpers/processing.js'
import { startUpload, uploadOutcome } from '../helpers/sdkPage.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'

const SECRET = 'a-jwt-secret-that-is-long-enough-for-hs256'
const tokenFor = (sub: string) =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET))

interface RecordedEvent {
  type: string
  payload: { state?: string; code?: string; type?: string; manifest?: { state: string } }
}

/** The page's upload events once `processed` or an `error` has arrived. */
async function eventsUntilProcessed(page: Page): Promise<RecordedEvent[]> {
  await page.waitForFunction(() => {
    const record = (window as unknown as { __ferry?: { events: { type: string }[] } }).__ferry
    return record?.events.some((event) => event.type === 'processed' || event.type === 'error')
  }, undefined, { timeout: 60_000, polling: 100 })
  return page.evaluate(() => (window as unknown as { __ferry: { events: RecordedEvent[] } }).__ferry.events)
}

/**
 * Following processing with bearer-token auth, from a page on another origin: EventSource can send
 * neither the token nor a preflighted request, so the SDK reads the event stream with fetch.
 */
describe('the SDK follows processing with a bearer token, from another origin', () => {
  let server: ServerProcess
  let proxy: FaultProxy
  let browser: BrowserContext
  let image: string

  beforeAll(async () => {
    server = await startServerProcess({ ...(await prepareStore('disk')).env, FERRY_AUTH: 'jwt', FERRY_JWT_SECRET: SECRET })
    proxy = await startFaultProxy(server.url)
    browser = await launchChromium()
    image = path.join(tmpdir(), `ferry-processing-auth-${process.pid}.jpg`)
    await writeFile(image, await noisyJpeg(800, 600))
  })
  afterAll(async () => {
    await browser?.close()
    await proxy?.close()
    await server?.stop()
  })

  it('receives the processing events and the final manifest', async () => {
    const page = await browser.newPage()
    try {
      await page.goto(`${proxy.url}/test.html`)
      await page.setInputFiles('#picker', image)
      await startUpload(page, { endpoint: `${server.url}/files/`, headers: { Authorization: `Bearer ${await tokenFor('alice')}` } })
      const outcome = await uploadOutcome(page)
      expect(outcome.error).toBeUndefined()
      const events = await eventsUntilProcessed(page)
      expect(events.filter((event) => event.type === 'error')).toEqual([])
      const processing = events.filter((event) => event.type === 'processing')
      expect(processing[0]?.payload.type).toBe('snapshot')
      expect(events.find((event) => event.type === 'processed')?.payload.state).toBe('done')

      // The file API answers that origin too, with the token: read, list, delete.
      const id = (outcome.file as { id?: string } | undefined)?.id ?? ''
      const fromPage = await page.evaluate(
        async ({ api, id, authorization }) => {
          const headers = { Authorization: authorization }
          const described = await fetch(`${api}/${id}`, { headers })
          const listed = await fetch(`${api}?limit=5`, { headers })
          const deleted = await fetch(`${api}/${id}`, { method: 'DELETE', headers })
          return { described: (await described.json()).id, listed: listed.status, deleted: deleted.status }
        },
        { api: `${server.url}/api/files`, id, authorization: `Bearer ${await tokenFor('alice')}` },
      )
      expect(fromPage).toEqual({ described: id, listed: 200, deleted: 204 })
    } finally {
      await page.close()
    }
  })

  it('cancelled while it follows processing, it stays cancelled: no processed event, no state after it', async () => {
    const page = await browser.newPage()
    try {
      await page.goto(`${proxy.url}/test.html`)
      await page.setInputFiles('#picker', image)
      const cancelOnProcessing = "upload.on('state', (state) => { if (state === 'processing') void upload.cancel() })"
      await startUpload(page, { endpoint: `${server.url}/files/`, headers: { Authorization: `Bearer ${await tokenFor('carol')}` } }, cancelOnProcessing)
      const outcome = await uploadOutcome(page)
      expect(outcome.error).toBeUndefined() // it had succeeded before the cancel
      // Longer than processing this image takes (the first test waits for it the same way).
      await new Promise((resolve) => setTimeout(resolve, 3000))
      const record = await page.evaluate(() => (window as unknown as { __ferry: { events: RecordedEvent[]; states: string[] } }).__ferry)
      expect(record.states.slice(-2)).toEqual(['processing', 'cancelled'])
      expect(record.events.filter((event) => event.type === 'processed' || event.type === 'error')).toEqual([])
    } finally {
      await page.close()
    }
  })

  it('rejects a refused event stream with processing-unavailable and its status, without retrying', async () => {
    const page = await browser.newPage()
    try {
      await page.goto(`${proxy.url}/test.html`)
      await page.setInputFiles('#picker', image)
      await startUpload(page, {
        endpoint: `${server.url}/files/`,
        headers: { Authorization: `Bearer ${await tokenFor('bob')}` },
        followProcessing: false,
      })
      const outcome = await uploadOutcome(page)
      expect(outcome.error).toBeUndefined()
      const eventsUrl = (outcome.file as { eventsUrl?: string } | undefined)?.eventsUrl ?? ''
      expect(eventsUrl).toMatch(/\/events$/)
      const refused = await page.evaluate(async (eventsUrl) => {
        const { followProcessing } = (window as unknown as { Ferry: typeof import('@ferry/sdk') }).Ferry
        const started = performance.now()
        try {
          await followProcessing(eventsUrl, { headers: { Authorization: 'Bearer not-a-token' }, onEvent: () => {} })
          return { settled: 'resolved' }
        } catch (error) {
          const { code, status } = error as { code: string; status?: number }
          return { settled: 'rejected', code, status, ms: performance.now() - started }
        }
      }, eventsUrl)
      expect(refused).toMatchObject({ settled: 'rejected', code: 'processing-unavailable', status: 401 })
      // Refused at once, not after the reconnection backoff.
      expect((refused as { ms: number }).ms).toBeLessThan(2_000)
    } finally {
      await page.close()
    }
  })
})
