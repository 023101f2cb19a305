import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sha256, sha256OfResponse } from '../helpers/files.js'
import { readMetric } from '../helpers/metrics.js'
import { type RedisServer, startRedisServer } from '../helpers/redisServer.js'
import { type ServerProcess, startServerProcess } from '../helpers/serverProcess.js'
import { prepareStore, STORE_KINDS } from '../helpers/stores.js'
import { createUpload, encodeMetadata, headOffset, patch, reprDigest, TUS } from '../helpers/tus.js'

const MIB = 1024 * 1024
const STREAMED = 'ferry_upload_digests_total{source="stream"}'
const REREAD = 'ferry_upload_digests_total{source="reread"}'

let redis: RedisServer
let running: ServerProcess[] = []

beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})
afterEach(async () => {
  await Promise.all(running.map((server) => server.stop()))
  running = []
})

/** Two server processes with one environment: the same store, the same Redis. */
async function startPair(env: Record<string, string>): Promise<[ServerProcess, ServerProcess]> {
  const shared = { FERRY_COORDINATION: 'redis', FERRY_REDIS_URL: redis.url, FERRY_PROCESSING: 'false', ...env }
  const pair = await Promise.all([startServerProcess(shared), startServerProcess(shared)])
  running.push(...pair)
  return pair
}

/** The same upload URL, on another instance (as a load balancer would route it). */
const on = (server: ServerProcess, url: string) => `${server.url}${new URL(url).pathname}`

/**
 * Disk runs too: two processes on one machine sharing one data directory is a real setup (one
 * host, or a shared volume), and the disk store keeps nothing about an upload only in memory.
 */
describe.each(STORE_KINDS)('two instances on one %s store and one Redis', (kind) => {
  it('finish an upload whose PATCHes alternate between them, continuing the hash across', async () => {
    const [a, b] = await startPair((await prepareStore(kind)).env)
    const bytes = randomBytes(13 * MIB + 777)
    const url = await createUpload(`${a.url}/files/`, bytes.length)
    const instances = [a, b, a]
    let offset = 0
    let last: Response | undefined
    for (const [index, server] of instances.entries()) {
      const end = index === instances.length - 1 ? bytes.length : offset + 5 * MIB
      // Each instance learns the offset the other one left, as a client after a HEAD would.
      expect(await headOffset(on(server, url))).toBe(offset)
      last = await patch(on(server, url), offset, bytes.subarray(offset, end), end === bytes.length ? reprDigest(bytes) : {})
      expect(last.status, await last.clone().text()).toBe(end === bytes.length ? 200 : 204)
      offset = end
    }
    expect(await last?.json()).toMatchObject({ state: 'verified', sha256: sha256(bytes) })
    // The finishing instance continued the hash the others saved; nobody read the bytes again.
    expect(await readMetric(a.url, STREAMED)).toBe(1)
    expect(await readMetric(a.url, REREAD) + (await readMetric(b.url, REREAD))).toBe(0)
    expect(await sha256OfResponse(await fetch(on(b, url)))).toBe(sha256(bytes))
  })

  it('never lets two simultaneous PATCHes on two instances both write', async () => {
    const [a, b] = await startPair((await prepareStore(kind)).env)
    const bytes = randomBytes(6 * MIB + 11)
    for (let round = 0; round < 3; round++) {
      const url = await createUpload(`${a.url}/files/`, bytes.length)
      // Both pass tus' offset check if nothing serialises them; the lock makes one wait.
      const responses = await Promise.all([a, b].map((server) => patch(on(server, url), 0, bytes, reprDigest(bytes))))
      const statuses = responses.map((response) => response.status).sort()
      expect(statuses, await Promise.all(responses.map((response) => response.text())).then(String)).toEqual([200, 409])
      expect(await headOffset(on(b, url))).toBe(bytes.length)
      expect(await sha256OfResponse(await fetch(on(b, url)))).toBe(sha256(bytes))
    }
  })

  it('asks a holder on the other instance to let go, then writes after it', async () => {
    const [a, b] = await startPair((await prepareStore(kind)).env)
    const bytes = randomBytes(6 * MIB + 11)
    const url = await createUpload(`${a.url}/files/`, bytes.length)
    // A PATCH on A sends its first MiB, then stalls while holding the upload's lock, as a client
    // whose network went away would.
    let sent = 0
    const stalled = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= MIB) return new Promise(() => {})
        controller.enqueue(bytes.subarray(sent, sent + 256 * 1024))
        sent += 256 * 1024
        await new Promise((resolve) => setTimeout(resolve, 20))
      },
    })
    const first = patch(on(a, url), 0, stalled).then(
      (response) => response.status,
      () => 0,
    )
    while (sent < MIB) await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setTimeout(resolve, 300))

    // The client resumes on B. B's tus server asks A's request (over Redis) to let go, which it
    // does after @tus/server's 3 s drain; without that request B would wait out its 30 s timeout.
    const started = Date.now()
    const offset = await headOffset(on(b, url))
    const second = await patch(on(b, url), offset, bytes.subarray(offset), reprDigest(bytes))
    expect(Date.now() - started).toBeLessThan(10_000)
    expect([204, 400, 409, 423, 500, 0]).toContain(await first)
    // B found what A had stored by then: nothing more (and wrote the rest) or more (and was told).
    expect([200, 409], await second.clone().text()).toContain(second.status)
    let finished: Response = second
    if (second.status === 409) {
      const now = await headOffset(on(a, url))
      finished = await patch(on(a, url), now, bytes.subarray(now), reprDigest(bytes))
    }
    expect(finished.status, await finished.clone().text()).toBe(200)
    expect(await finished.json()).toMatchObject({ state: 'verified', sha256: sha256(bytes) })
    expect(await sha256OfResponse(await fetch(on(b, url)))).toBe(sha256(bytes))
  })
})

describe('the upload rate limit with two instances on one Redis', () => {
  it('is one budget: a limit of 3 allows three creations across both, then 429 on either', async () => {
    const [a, b] = await startPair({ ...(await prepareStore('disk')).env, FERRY_POLICY: 'tiers', FERRY_RATE_LIMIT: '3' })
    const create = (server: ServerProcess) =>
      fetch(`${server.url}/files/`, {
        method: 'POST',
        headers: { ...TUS, 'Upload-Length': '10', 'Upload-Metadata': encodeMetadata({ filename: 'a.jpg', filetype: 'image/jpeg' }) },
      })
    const statuses: number[] = []
    for (const server of [a, b, a, b, a]) statuses.push((await create(server)).status)
    expect(statuses).toEqual([201, 201, 201, 429, 429])
    const refused = await create(b)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    // Shutdown closes the Redis connections in time: a clean exit.
    await Promise.all([a.stop(), b.stop()])
    expect([(await a.ended).code, (await b.ended).code]).toEqual([0, 0])
  })
})
