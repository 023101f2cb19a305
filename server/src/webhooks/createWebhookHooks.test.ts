import { Readable } from 'node:stream'
import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createWebhookHooks } from './createWebhookHooks.js'
import { createWebhookDispatcher } from './WebhookDispatcher.js'
import { createTemporaryDocuments, startTestReceiver } from './webhookTestKit.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setUp() {
  const { documents, remove } = await createTemporaryDocuments()
  const receiver = await startTestReceiver()
  const dispatcher = createWebhookDispatcher({
    documents,
    urls: [receiver.url],
    secret: 'a-secret-of-16-chars',
    attempts: 3,
    logger: pino({ level: 'silent' }),
  })
  cleanups.push(remove, receiver.close, dispatcher.close)
  await dispatcher.start()
  return { receiver, dispatcher }
}

describe('createWebhookHooks', () => {
  it('registers a hook for each configured event only', async () => {
    const { dispatcher } = await setUp()
    const hooks = createWebhookHooks({ dispatcher, events: ['post-finish', 'post-process'] })
    expect(Object.keys(hooks).sort()).toEqual(['post-finish', 'post-process'])
  })

  it('sends a post-finish payload to the receivers, without what JSON cannot carry', async () => {
    const { receiver, dispatcher } = await setUp()
    const hooks = createWebhookHooks({ dispatcher, events: ['post-finish'] })
    const file = { id: 'f1', name: 'cat.jpg', size: 3, sha256: 'ab', type: 'image/jpeg' }
    const stray = { stream: Readable.from(['x']), read: () => 'x', total: 2n }
    await hooks['post-finish']?.({ file: { ...file, ...stray } as never })

    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1), { timeout: 5000 })
    const request = receiver.requests[0]!
    expect(request.headers['ferry-webhook-event']).toBe('post-finish')
    expect(JSON.parse(request.body).data).toEqual({ file: { ...file, total: '2' } })
  })
})
