import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DocumentStore } from '../storage/types.js'
import { readOutbox } from './deliveryDocuments.js'
import { WebhookError } from './errors.js'
import { verifyWebhookSignature } from './signature.js'
import type { WebhookDispatcher, WebhookDispatcherOptions } from './types.js'
import { createWebhookDispatcher } from './WebhookDispatcher.js'
import {
  closedPortUrl,
  createTemporaryDocuments,
  type ReceiverReply,
  startTestReceiver,
  type TestReceiver,
} from './webhookTestKit.js'

const secret = 'a-secret-of-16-chars'
const logger = pino({ level: 'silent' })
// CI runs these beside the browser and S3 tests on two cores: 5 s once ran out there.
const patiently = { timeout: 15_000, interval: 20 }

let documents: DocumentStore
const cleanups: Array<() => Promise<void>> = []

beforeEach(async () => {
  const temporary = await createTemporaryDocuments()
  documents = temporary.documents
  cleanups.push(temporary.remove)
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function dispatcherFor(
  urls: string[],
  options: Partial<WebhookDispatcherOptions> = {},
): WebhookDispatcher {
  const dispatcher = createWebhookDispatcher({
    documents,
    urls,
    secret,
    attempts: 3,
    logger,
    backoff: { baseMs: 20, maxMs: 100 },
    ...options,
  })
  cleanups.push(() => dispatcher.close())
  return dispatcher
}

async function receiver(...args: Parameters<typeof startTestReceiver>): Promise<TestReceiver> {
  const started = await startTestReceiver(...args)
  cleanups.push(() => started.close())
  return started
}

describe('createWebhookDispatcher', () => {
  it('retries a failing receiver with backoff and delivers a signed request', async () => {
    const target = await receiver({ replies: [500, 'destroy'] })
    const dispatcher = dispatcherFor([target.url], { attempts: 5 })
    await dispatcher.start()
    await dispatcher.enqueue('post-finish', { file: { id: 'f1', size: 3 } })

    await vi.waitFor(async () => expect(await dispatcher.log()).toHaveLength(1), patiently)
    const [entry] = await dispatcher.log()
    expect(entry).toEqual({
      id: expect.any(String),
      url: target.url,
      event: 'post-finish',
      status: 'delivered',
      attempts: 3,
      createdAt: expect.any(String),
      deliveredAt: expect.any(String),
      responseStatus: 200,
    })
    expect(await readOutbox(documents)).toEqual([])

    expect(target.requests).toHaveLength(3)
    const last = target.requests[2]!
    const timestamp = String(last.headers['ferry-webhook-timestamp'])
    const signature = String(last.headers['ferry-webhook-signature'])
    expect(verifyWebhookSignature({ secret, timestamp, body: last.body, signature })).toBe(true)
    expect(last.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'ferry-server',
      'ferry-webhook-id': entry?.id,
      'ferry-webhook-event': 'post-finish',
    })
    expect(JSON.parse(last.body)).toEqual({
      id: entry?.id,
      event: 'post-finish',
      createdAt: entry?.createdAt,
      data: { file: { id: 'f1', size: 3 } },
    })
    // Every attempt sends the same body under the same id: receivers can dedupe on it.
    expect(new Set(target.requests.map((request) => request.body)).size).toBe(1)
  })

  it('returns at once when the receiver is down, then logs the delivery failed', async () => {
    const down = await closedPortUrl()
    const dispatcher = dispatcherFor([down.url])
    await dispatcher.start()
    const before = performance.now()
    await dispatcher.enqueue('post-create', { upload: { id: 'u1' } })
    expect(performance.now() - before).toBeLessThan(200)

    await vi.waitFor(async () => expect(await dispatcher.log()).toHaveLength(1), patiently)
    const [entry] = await dispatcher.log()
    expect(entry).toMatchObject({ status: 'failed', attempts: 3, url: down.url })
    expect(entry?.failedAt).toEqual(expect.any(String))
    expect(entry?.lastError).toMatch(/ECONNREFUSED/)
    expect(await readOutbox(documents)).toEqual([])
  })

  it('counts a redirect as a failed attempt rather than following it', async () => {
    const target = await receiver({ replies: [302, 302, 302] })
    const dispatcher = dispatcherFor([target.url])
    await dispatcher.start()
    await dispatcher.enqueue('post-terminate', { uploadId: 'u1' })

    // It once timed out in CI while the file's other tests took milliseconds: say where it stood.
    const state = async () => `${target.requests.length} requests, outbox ${JSON.stringify(await readOutbox(documents))}`
    await vi.waitFor(async () => expect(await dispatcher.log(), await state()).toHaveLength(1), patiently)
    expect((await dispatcher.log())[0]).toMatchObject({ status: 'failed', responseStatus: 302 })
    expect(target.requests.map((request) => request.body)).toHaveLength(3)
  })

  it('delivers after a restart what an earlier process left in the outbox', async () => {
    // The receiver fails until the second process starts, then accepts: one URL for both, with no
    // port freed and bound again (another test's server could take it in between).
    const replies: ReceiverReply[] = Array.from({ length: 1000 }, () => 503)
    const target = await receiver({ replies })
    const first = dispatcherFor([target.url], { attempts: 50 })
    await first.start()
    await first.enqueue('post-finish', { file: { id: 'f1' } })
    await vi.waitFor(async () => {
      expect((await readOutbox(documents))[0]?.attempts).toBeGreaterThan(0)
    }, patiently)
    await first.close()
    const [left] = await readOutbox(documents)
    const refused = target.requests.length
    replies.length = 0

    const second = dispatcherFor([target.url], { attempts: 50 })
    await second.start()

    await vi.waitFor(async () => expect(await second.log()).toHaveLength(1), patiently)
    const [entry] = await second.log()
    expect(entry).toMatchObject({ id: left?.id, status: 'delivered' })
    expect(entry?.attempts).toBe((left?.attempts ?? 0) + 1)
    expect(target.requests).toHaveLength(refused + 1)
    expect(JSON.parse(target.requests.at(-1)!.body)).toMatchObject({ data: { file: { id: 'f1' } } })
  })

  it('gives up on an attempt that gets no answer, even after a garbage collection, and retries', async () => {
    const target = await receiver({ replies: ['hang'] })
    const dispatcher = dispatcherFor([target.url], { requestTimeoutMs: 500, closeGraceMs: 50 })
    await dispatcher.start()
    await dispatcher.enqueue('post-finish', { file: { id: 'f1' } })
    await vi.waitFor(() => expect(target.requests).toHaveLength(1), patiently)
    // Node 20 loses an `AbortSignal.timeout()` held only by `AbortSignal.any()` once it is
    // collected, and the attempt then waits for ever (nodejs/node#57736).
    setFlagsFromString('--expose-gc')
    const collect = runInNewContext('gc') as () => void
    collect()
    collect()

    await vi.waitFor(async () => expect(await dispatcher.log()).toHaveLength(1), patiently)
    expect((await dispatcher.log())[0]).toMatchObject({ status: 'delivered', attempts: 2 })
    expect(target.requests).toHaveLength(2)
  })

  it('keeps delivering to one receiver while another hangs', async () => {
    const hanging = await receiver({ replies: Array.from({ length: 20 }, () => 'hang' as const) })
    const healthy = await receiver()
    const dispatcher = dispatcherFor([hanging.url, healthy.url], {
      requestTimeoutMs: 30_000,
      closeGraceMs: 50,
    })
    await dispatcher.start()
    for (let index = 0; index < 6; index += 1) await dispatcher.enqueue('post-create', { index })

    await vi.waitFor(async () => expect(await dispatcher.log()).toHaveLength(6), patiently)
    const log = await dispatcher.log()
    expect(log.map((entry) => [entry.url, entry.status])).toEqual(
      Array(6).fill([healthy.url, 'delivered']),
    )
    // The hanging receiver holds at most two of the four slots: its deliveries are still pending.
    await vi.waitFor(() => expect(hanging.requests).toHaveLength(2), patiently)
    const pending = await readOutbox(documents)
    expect(pending.map((delivery) => delivery.url)).toEqual(Array(6).fill(hanging.url))

    // Attempts cut short by close() are not the receiver's fault and are not counted.
    await dispatcher.close()
    const left = await readOutbox(documents)
    expect(left.map((delivery) => delivery.attempts)).toEqual(Array(6).fill(0))
  })

  it('keeps a receiver that is down from delaying one that is up', async () => {
    const down = await closedPortUrl()
    const up = await receiver()
    const dispatcher = dispatcherFor([down.url, up.url], {
      attempts: 10,
      backoff: { baseMs: 200, maxMs: 1000 },
    })
    await dispatcher.start()
    await dispatcher.enqueue('post-finish', { file: { id: 'f1' } })

    await vi.waitFor(async () => expect(await dispatcher.log()).toHaveLength(1), patiently)
    const [delivered] = await dispatcher.log()
    expect(delivered).toMatchObject({ url: up.url, status: 'delivered', attempts: 1 })
    const [retrying] = await readOutbox(documents)
    expect(retrying).toMatchObject({
      url: down.url,
      lastError: expect.stringMatching(/ECONNREFUSED/),
    })
  })

  it('persists deliveries enqueued before start() and sends them once started', async () => {
    const target = await receiver()
    const dispatcher = dispatcherFor([target.url])
    await dispatcher.enqueue('post-create', { upload: { id: 'u1' } })
    expect(await readOutbox(documents)).toHaveLength(1)
    expect(target.requests).toHaveLength(0)

    await dispatcher.start()
    await vi.waitFor(async () => expect(await dispatcher.log()).toHaveLength(1), patiently)
  })

  it('rejects a payload that is not JSON and options it cannot honour, typed', async () => {
    const dispatcher = dispatcherFor(['http://127.0.0.1:9/hooks'])
    await expect(dispatcher.enqueue('post-finish', { size: 1n })).rejects.toMatchObject({
      name: 'WebhookError',
      code: 'invalid-payload',
    })
    expect(() => dispatcherFor(['ftp://example.com'])).toThrow(WebhookError)
    const noAttempts = () => dispatcherFor([], { attempts: 0 })
    expect(noAttempts).toThrow(/^ferry-server: webhook option attempts/)
    const unsigned = () => dispatcherFor(['http://127.0.0.1:9/'], { secret: '' })
    expect(unsigned).toThrow(/secret is required/)
  })
})
