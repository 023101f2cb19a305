import { describe, expect, it } from 'vitest'
import { startServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'
import { createUpload, patch } from '../helpers/tus.js'

async function rss(serverUrl: string): Promise<number> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text()
  const line = text.split('\n').find((candidate) => candidate.startsWith('ferry_process_resident_memory_bytes'))
  return Number(line?.split(' ').at(-1))
}

describe('lock contention', () => {
  it('keeps server memory flat while PATCH requests wait behind a slow one', async () => {
    const server = await startServerProcess({ ...(await prepareStore('disk')).env, FERRY_PROCESSING: 'false' })
    try {
      const url = await createUpload(`${server.url}/files/`, 10 * 1024 * 1024)
      // A slow PATCH holds the upload's lock: a trickle of bytes, then silence.
      let sent = 0
      const slowBody = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent >= 64 * 1024) return new Promise(() => {})
          controller.enqueue(new Uint8Array(16 * 1024))
          sent += 16 * 1024
          await new Promise((resolve) => setTimeout(resolve, 50))
        },
      })
      const slow = patch(url, 0, slowBody).catch((error: unknown) => error)
      await new Promise((resolve) => setTimeout(resolve, 500))
      const before = await rss(server.url)
      const waiters = [1, 2, 3].map(() => patch(url, 0, new Uint8Array(1024)).then((response) => response.status, () => 0))
      let peak = before
      for (let sample = 0; sample < 10; sample++) {
        await new Promise((resolve) => setTimeout(resolve, 250))
        peak = Math.max(peak, await rss(server.url))
      }
      // Stock @tus/server's busy-waiting locker grew about 250 MiB/s per waiter here.
      expect(peak - before).toBeLessThan(64 * 1024 * 1024)
      const statuses = await Promise.all(waiters)
      // Each waiter gets an answer (the newest request wins the lock; the others learn the offset moved).
      for (const status of statuses) expect([204, 409, 400, 423]).toContain(status)
      expect(server.alive()).toBe(true)
      await slow
    } finally {
      await server.stop()
    }
  })
})
