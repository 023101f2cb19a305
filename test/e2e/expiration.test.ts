import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sha256, sha256OfResponse } from '../helpers/files.js'
import { startServerProcess } from '../helpers/serverProcess.js'
import { prepareStore, STORE_KINDS } from '../helpers/stores.js'
import { createUpload, patch, reprDigest, TUS } from '../helpers/tus.js'

const MIB = 1024 * 1024

describe.each(STORE_KINDS)('expiration on the %s store', (kind) => {
  it('expires and removes abandoned uploads, never finished ones', async () => {
    const store = await prepareStore(kind)
    const server = await startServerProcess({
      ...store.env,
      FERRY_PROCESSING: 'false',
      FERRY_UPLOAD_EXPIRY_SECONDS: '2',
      FERRY_CLEANUP_INTERVAL_SECONDS: '1',
    })
    try {
      const before = await store.listAll()
      const bytes = randomBytes(6 * MIB + 11)
      const abandoned = await createUpload(`${server.url}/files/`, bytes.length)
      const partial = await patch(abandoned, 0, bytes.subarray(0, 6 * MIB))
      expect(partial.status).toBe(204)
      expect(partial.headers.get('upload-expires')).toMatch(/GMT$/)
      // Its hash checkpoint trails the request (the trail reads back what it missed).
      const abandonedId = abandoned.split('/').at(-1) ?? ''
      const keysOf = async (id: string) => (await store.listAll()).filter((key) => key.includes(id))
      await expect.poll(async () => (await keysOf(abandonedId)).join(), { timeout: 1_500, interval: 50 }).toContain('hash-state/')

      // A final declared before its partials finish, which never do: it expires with them.
      const partials = await Promise.all(
        [1, 2].map(async () => {
          const response = await fetch(`${server.url}/files/`, {
            method: 'POST',
            headers: { ...TUS, 'Upload-Length': '512', 'Upload-Concat': 'partial' },
          })
          return new URL(response.headers.get('location') ?? '').pathname
        }),
      )
      const final = await fetch(`${server.url}/files/`, {
        method: 'POST',
        headers: { ...TUS, 'Upload-Concat': `final;${partials.join(' ')}` },
      })
      expect(final.status).toBe(201)
      const finalId = new URL(final.headers.get('location') ?? '').pathname.split('/').at(-1) ?? ''
      expect((await keysOf(finalId)).join()).toContain('concat/pending/')

      const finished = await createUpload(`${server.url}/files/`, bytes.length)
      expect((await patch(finished, 0, bytes, reprDigest(bytes))).status).toBe(200)
      const withFinished = await store.listAll()

      await new Promise((resolve) => setTimeout(resolve, 2500))
      // Gone for clients at once (410), then removed from the store by the cleanup.
      expect([404, 410]).toContain((await fetch(abandoned, { method: 'HEAD', headers: TUS })).status)
      expect([404, 410]).toContain((await patch(abandoned, 6 * MIB, bytes.subarray(6 * MIB))).status)
      // Everything of it goes: bytes, info, `.part`, its hash checkpoint.
      await expect.poll(() => keysOf(abandonedId), { timeout: 10_000 }).toEqual([])
      // The final's record of its partials goes too, with the final and the partials.
      await expect.poll(() => keysOf(finalId), { timeout: 10_000 }).toEqual([])
      for (const partial of partials) await expect.poll(() => keysOf(partial.split('/').at(-1) ?? ''), { timeout: 10_000 }).toEqual([])
      const left = await store.listAll()
      expect(left.length).toBeLessThan(withFinished.length)
      expect(left.length).toBeGreaterThan(before.length)

      // The finished upload outlives the expiry: HEAD and GET still work.
      expect((await fetch(finished, { method: 'HEAD', headers: TUS })).status).toBe(200)
      expect(await sha256OfResponse(await fetch(finished))).toBe(sha256(bytes))
    } finally {
      await server.stop()
    }
  })
})
