import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchImage, noisyJpeg, uploadBytes, waitForManifest } from '../helpers/processing.js'
import { startRedisServer, type RedisServer } from '../helpers/redisServer.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'

const workerScript = fileURLToPath(new URL('../../server/bin/ferry-worker.cjs', import.meta.url))

describe('durable processing', () => {
  it('finishes a job after the server is killed (SIGKILL) while it runs, with a consistent manifest', async () => {
    const store = await prepareStore('disk')
    // One thumbnail job at a time, on a large image, so the kill lands while it runs.
    const env = { ...store.env, FERRY_THUMBNAIL_SIZES: '150,300,600,1200', FERRY_JOB_CONCURRENCY: 'thumbnails=1' }
    let server: ServerProcess = await startServerProcess(env)
    const file = await uploadBytes(server.url, await noisyJpeg(4000, 3000), 'large.jpg', 'image/jpeg')
    const running = await waitForManifest(server.url, file.id, (manifest) =>
      manifest.jobs.some((job) => job.type === 'thumbnails' && job.state === 'running'),
    )
    expect(running.state).toBe('running')
    await server.kill()

    server = await startServerProcess(env, server.port)
    try {
      const manifest = await waitForManifest(server.url, file.id)
      expect(manifest.state).toBe('done')
      const thumbnails = manifest.jobs.find((job) => job.type === 'thumbnails')
      expect(thumbnails).toMatchObject({ state: 'done' })
      expect(thumbnails?.attempts).toBeGreaterThanOrEqual(1)
      const names = manifest.outputs.map((output) => output.name).sort()
      // Every output exactly once, each readable and of the right size.
      expect(names.filter((name) => name.startsWith('thumb_'))).toEqual([
        'thumb_1200.jpg',
        'thumb_150.jpg',
        'thumb_300.jpg',
        'thumb_600.jpg',
      ])
      expect(new Set(names).size).toBe(names.length)
      for (const output of manifest.outputs.filter((candidate) => candidate.job === 'thumbnails')) {
        const image = await fetchImage(output.url)
        expect(image.width).toBe(output.width)
        expect(image.bytes.length).toBe(output.size)
      }
    } finally {
      await server.stop()
    }
  })

  describe('with BullMQ on Redis and a separate ferry-worker process', () => {
    let redis: RedisServer
    beforeAll(async () => {
      redis = await startRedisServer()
    })
    afterAll(async () => {
      await redis?.stop()
    })

    it('queues jobs in Redis that only the worker runs, and reports them back to the server', async () => {
      const store = await prepareStore('disk')
      const env = { ...store.env, FERRY_QUEUE: 'bullmq', FERRY_REDIS_URL: redis.url, FERRY_LOG_LEVEL: 'warn' }
      const server = await startServerProcess(env)
      const worker = spawn(process.execPath, [workerScript], { env: { ...process.env, ...env }, stdio: 'pipe' })
      let workerOutput = ''
      worker.stdout.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()))
      worker.stderr.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()))
      try {
        // Before the worker consumes, nothing runs: the server only queues.
        worker.kill('SIGSTOP')
        const file = await uploadBytes(server.url, await noisyJpeg(1200, 800), 'queued.jpg', 'image/jpeg')
        await new Promise((resolve) => setTimeout(resolve, 1500))
        const waiting = await waitForManifest(server.url, file.id, () => true)
        expect(waiting.state).toBe('pending')

        worker.kill('SIGCONT')
        const events = fetch(file.body.eventsUrl ?? '').then((response) => response.text())
        const manifest = await waitForManifest(server.url, file.id)
        expect(manifest.state, workerOutput).toBe('done')
        expect(manifest.outputs.filter((output) => output.job === 'thumbnails')).toHaveLength(3)
        // Events from the worker process reach the server's SSE stream through Redis.
        expect(await events).toContain('event: processing-done')
      } finally {
        worker.kill('SIGTERM')
        await server.stop()
      }
    })

    it('sends one post-process webhook per file from two server instances that both hear the jobs', async () => {
      const received: string[] = []
      const receiver = createServer((request, response) => {
        received.push(String(request.headers['ferry-webhook-event']))
        request.resume().on('end', () => response.writeHead(200).end())
      })
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
      const store = await prepareStore('disk')
      const env = {
        ...store.env,
        FERRY_QUEUE: 'bullmq',
        FERRY_COORDINATION: 'redis',
        FERRY_REDIS_URL: redis.url,
        FERRY_LOG_LEVEL: 'warn',
        FERRY_WEBHOOK_URLS: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
        FERRY_WEBHOOK_SECRET: 'a-test-secret-of-some-length',
        FERRY_WEBHOOK_EVENTS: 'post-process',
      }
      const servers = await Promise.all([startServerProcess(env), startServerProcess(env)])
      const worker = spawn(process.execPath, [workerScript], { env: { ...process.env, ...env }, stdio: 'ignore' })
      try {
        const files = await Promise.all(
          [1, 2].map(async (n) => uploadBytes(servers[n - 1]?.url ?? '', await noisyJpeg(600, 400), `both-${n}.jpg`, 'image/jpeg')),
        )
        for (const file of files) expect((await waitForManifest(servers[0]?.url ?? '', file.id)).state).toBe('done')
        await expect.poll(() => received.length, { timeout: 20_000 }).toBe(2)
        // Time for a second instance's duplicate to arrive, if it were sent.
        await new Promise((resolve) => setTimeout(resolve, 3000))
        expect(received).toEqual(['post-process', 'post-process'])
      } finally {
        worker.kill('SIGTERM')
        await Promise.all(servers.map((server) => server.stop()))
        await new Promise((resolve) => receiver.close(resolve))
      }
    })
  })
})
