import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, createDiskBackend, createLogger, HookRejection } from '../../server/dist/index.js'
import { findDemoFiles } from '../../server/dist/demoFiles.js'
import { verifyWebhookSignature } from '../../server/dist/webhooks/index.js'
import { launchChromium } from '../helpers/browser.js'
import { noisyJpeg, uploadBytes, waitForManifest } from '../helpers/processing.js'
import { freePort, startServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'

const SECRET = 'a-test-secret-of-some-length'

interface Received {
  id: string
  event: string
  body: string
  verified: boolean
  answered: number
}

/** A real HTTP receiver that answers 500 to the first request of each delivery, then 200. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = []
  const server: Server = createServer(async (request: IncomingMessage, response) => {
    let body = ''
    for await (const chunk of request) body += chunk
    const id = String(request.headers['ferry-webhook-id'])
    const firstTime = !received.some((entry) => entry.id === id)
    const verified = verifyWebhookSignature({
      secret: SECRET,
      timestamp: String(request.headers['ferry-webhook-timestamp']),
      body,
      signature: String(request.headers['ferry-webhook-signature']),
    })
    const answered = firstTime ? 500 : 200
    received.push({ id, event: String(request.headers['ferry-webhook-event']), body, verified, answered })
    response.writeHead(answered).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('outbound webhooks', () => {
  it('delivers signed events, retrying a receiver that fails first', async () => {
    const receiver = await startReceiver()
    const server = await startServerProcess({
      ...(await prepareStore('disk')).env,
      FERRY_WEBHOOK_URLS: receiver.url,
      FERRY_WEBHOOK_SECRET: SECRET,
    })
    try {
      const file = await uploadBytes(server.url, await noisyJpeg(400, 300), 'hooked.jpg', 'image/jpeg')
      await waitForManifest(server.url, file.id)
      await expect
        .poll(() => receiver.received.filter((entry) => entry.answered === 200).map((entry) => entry.event).sort(), {
          timeout: 20_000,
        })
        .toEqual(['post-create', 'post-finish', 'post-process'])
      for (const entry of receiver.received) expect(entry.verified).toBe(true)
      // Every delivery was refused once and retried with the same id and body.
      for (const event of ['post-create', 'post-finish', 'post-process']) {
        const attempts = receiver.received.filter((entry) => entry.event === event)
        expect(attempts.map((entry) => entry.answered)).toEqual([500, 200])
        expect(new Set(attempts.map((entry) => entry.body)).size).toBe(1)
      }
      const finish = JSON.parse(receiver.received.find((entry) => entry.event === 'post-finish')?.body ?? '{}')
      expect(finish.data.file).toMatchObject({ id: file.id, state: 'verified', sha256: file.body.sha256 })
      const processed = JSON.parse(receiver.received.find((entry) => entry.event === 'post-process')?.body ?? '{}')
      expect(processed.data.manifest.state).toBe('done')
    } finally {
      await server.stop()
      await receiver.close()
    }
  })

  it('never blocks an upload when the receiver is down', async () => {
    const deadPort = await freePort()
    const server = await startServerProcess({
      ...(await prepareStore('disk')).env,
      FERRY_WEBHOOK_URLS: `http://127.0.0.1:${deadPort}/hook`,
      FERRY_WEBHOOK_SECRET: SECRET,
      FERRY_PROCESSING: 'false',
    })
    try {
      const started = performance.now()
      const file = await uploadBytes(server.url, Buffer.alloc(100_000, 1), 'plain.bin', 'application/octet-stream')
      expect(file.body.sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(performance.now() - started).toBeLessThan(3000)
    } finally {
      await server.stop()
    }
  })
})

describe('in-process hooks reach the SDK as typed errors', () => {
  let browser: BrowserContext
  let url: string
  let close: () => void
  const seen: string[] = []

  beforeAll(async () => {
    const store = await prepareStore('disk')
    const backend = createDiskBackend({ directory: store.env.FERRY_DATA_DIR ?? '' })
    await backend.prepare()
    const app = createApp({
      config: { corsOrigins: '*', maxSize: 0, requireDigest: false, trustProxy: false },
      backend,
      logger: createLogger('silent'),
      demo: findDemoFiles(),
      hooks: {
        'pre-create': ({ upload }) => {
          if (upload.metadata.filename === 'blocked.txt') {
            throw new HookRejection(403, 'files named blocked.txt are not accepted here')
          }
        },
        'pre-finish': ({ file }) => {
          if (file.size > 50_000) throw new HookRejection(413, 'this app keeps files under 50 kB')
        },
        'post-finish': ({ file }) => {
          seen.push(`finished ${file.name}`)
        },
      },
    })
    const port = await freePort()
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
    close = () => server.close()
    url = `http://127.0.0.1:${port}`
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    close?.()
  })

  it('rejects at creation and at finish with the hook’s status and message', async () => {
    const page = await browser.newPage()
    await page.goto(url)
    const outcomes = await page.evaluate(async () => {
      const { FerryUpload } = (window as unknown as { Ferry: typeof import('@ferry/sdk') }).Ferry
      const attempt = async (name: string, size: number) => {
        const upload = new FerryUpload(new File([new Uint8Array(size).fill(1)], name), { endpoint: '/files/' })
        try {
          const file = await upload.start()
          return { ok: file.name }
        } catch (error) {
          const { name: errorName, code, status, message } = error as { name: string; code: string; status: number; message: string }
          return { errorName, code, status, message }
        }
      }
      return [await attempt('blocked.txt', 10), await attempt('big.bin', 60_000), await attempt('fine.txt', 10)]
    })
    expect(outcomes[0]).toMatchObject({ errorName: 'FerryError', code: 'rejected', status: 403 })
    expect(outcomes[0]?.message).toContain('files named blocked.txt are not accepted here')
    expect(outcomes[1]).toMatchObject({ errorName: 'FerryError', code: 'rejected', status: 413 })
    expect(outcomes[1]?.message).toContain('under 50 kB')
    expect(outcomes[2]).toEqual({ ok: 'fine.txt' })
    expect(seen).toEqual(['finished fine.txt'])
  })
})
