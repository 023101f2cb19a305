import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createGracefulShutdown } from './gracefulShutdown.js'
import { createRequestDrain } from './http/requestDrain.js'

const logger = pino({ level: 'silent' })
const GRACE_MS = 3_000

/** A real HTTP server whose `/stuck` request never finishes, and what its shutdown exits with. */
async function serverWithStuckRequest() {
  const app = new Hono()
  app.get('/stuck', () => new Promise<Response>(() => {}))
  const drain = createRequestDrain()
  const server = serve({ fetch: drain.wrap(app.fetch), port: 0, hostname: '127.0.0.1' }) as Server
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  void fetch(`http://127.0.0.1:${port}/stuck`).catch(() => undefined)
  await new Promise((resolve) => setTimeout(resolve, 100))
  let exited: (code: number) => void = () => {}
  const exit = new Promise<number>((resolve) => {
    exited = resolve
  })
  const shutdown = createGracefulShutdown({ server, drain, graceMs: GRACE_MS, logger, close: async () => {}, exit: exited })
  return { server, shutdown, exit }
}

describe('createGracefulShutdown', () => {
  let server: Server | undefined
  afterEach(() => {
    server?.closeAllConnections()
    server?.close()
  })

  it('cuts off a request that outlives the grace and exits 1', async () => {
    const started = await serverWithStuckRequest()
    server = started.server
    const signalledAt = Date.now()
    started.shutdown('SIGTERM')
    expect(await started.exit).toBe(1)
    // The whole grace, then the cut-off requests' settle time (2 s).
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(GRACE_MS)
  })

  it('takes the whole grace when called as a signal listener, with the signal number second', async () => {
    const started = await serverWithStuckRequest()
    server = started.server
    const signalledAt = Date.now()
    // What `process.on('SIGTERM', shutdown)` does: Node passes the name and the number (15).
    ;(started.shutdown as (signal: string, number: number) => void)('SIGTERM', 15)
    expect(await started.exit).toBe(1)
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(GRACE_MS)
  })

  it('counts the grace from when a held signal arrived, not from when start-up released it', async () => {
    const started = await serverWithStuckRequest()
    server = started.server
    const releasedAt = Date.now()
    // Start-up held the signal for most of the grace.
    started.shutdown('SIGTERM', { receivedAt: releasedAt - (GRACE_MS - 200) })
    expect(await started.exit).toBe(1)
    // What is left of the grace, at least a second for the requests, and the cut-off's 2 s: well
    // under a second whole grace plus that.
    const took = Date.now() - releasedAt
    expect(took).toBeGreaterThanOrEqual(1_000)
    expect(took).toBeLessThan(GRACE_MS + 1_500)
  })
})
