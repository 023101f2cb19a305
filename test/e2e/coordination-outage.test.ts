import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { sha256, sha256OfResponse } from '../helpers/files.js'
import { type RedisServer, startRedisServer } from '../helpers/redisServer.js'
import { type ServerProcess, startServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'
import { createUpload, headOffset, patch, reprDigest, TUS } from '../helpers/tus.js'

const MIB = 1024 * 1024

let redis: RedisServer | undefined
let server: ServerProcess | undefined
afterEach(async () => {
  await server?.stop()
  await redis?.stop()
})

/** The request, again every 250 ms while it answers 503, as a client honouring Retry-After would. */
async function untilServed(request: () => Promise<Response>, timeoutMs = 15_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const response = await request()
    if (response.status !== 503 || Date.now() > deadline) return response
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

// A real outage: the Redis process is stopped, then started again on the same port.
describe('a server sharing locks and rate limits through Redis, while Redis is down', () => {
  it('answers 503 coordination-unavailable with Retry-After at once, stores nothing, and finishes after Redis is back', async () => {
    redis = await startRedisServer()
    const { env } = await prepareStore('disk')
    server = await startServerProcess({
      ...env,
      FERRY_COORDINATION: 'redis',
      FERRY_REDIS_URL: redis.url,
      FERRY_POLICY: 'tiers',
      FERRY_RATE_LIMIT: '100',
      FERRY_PROCESSING: 'false',
    })
    // A PDF by its first bytes, as the tier policy sniffs them.
    const bytes = randomBytes(3 * MIB)
    bytes.write('%PDF-1.7\n', 0, 'latin1')
    const url = await createUpload(`${server.url}/files/`, bytes.length, { filetype: 'application/pdf' })
    expect((await patch(url, 0, bytes.subarray(0, MIB))).status).toBe(204)

    const { port } = redis
    await redis.stop()
    const started = Date.now()
    const refused = await patch(url, MIB, bytes.subarray(MIB, 2 * MIB))
    expect(refused.status).toBe(503)
    // Told promptly (one reconnection attempt), not after ioredis' twenty.
    expect(Date.now() - started).toBeLessThan(8000)
    expect(refused.headers.get('retry-after')).toBe('2')
    expect(refused.headers.get('tus-resumable')).toBe('1.0.0')
    expect((await refused.json()).error.code).toBe('coordination-unavailable')
    // Creation needs the shared rate limit: refused the same way, not a 500.
    const creation = await fetch(`${server.url}/files/`, {
      method: 'POST',
      headers: { ...TUS, 'Upload-Length': '10', 'Upload-Metadata': `filetype ${btoa('application/pdf')}` },
    })
    expect(creation.status).toBe(503)
    expect((await creation.json()).error.code).toBe('coordination-unavailable')

    redis = await startRedisServer({ port })
    // Nothing of the refused PATCH was stored.
    expect((await untilServed(() => fetch(url, { method: 'HEAD', headers: TUS }))).headers.get('upload-offset')).toBe(
      String(MIB),
    )
    const finished = await untilServed(() => patch(url, MIB, bytes.subarray(MIB), reprDigest(bytes)))
    expect(finished.status, await finished.clone().text()).toBe(200)
    expect((await finished.json()).state).toBe('verified')
    expect(await headOffset(url)).toBe(bytes.length)
    expect(await sha256OfResponse(await fetch(url))).toBe(sha256(bytes))
  })
})
