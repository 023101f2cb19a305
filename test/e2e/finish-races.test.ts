import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore, STORE_KINDS, type StoreUnderTest } from '../helpers/stores.js'
import { createUpload, patch, TUS } from '../helpers/tus.js'

const MIB = 1024 * 1024
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A body that hands over `bytes` in 1 MiB pieces; `sent` resolves once the last is handed over. */
function trackedBody(bytes: Buffer) {
  let offset = 0
  let markSent!: () => void
  const sent = new Promise<void>((resolve) => (markSent = resolve))
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset >= bytes.length) {
        controller.close()
        markSent()
        return
      }
      const end = Math.min(offset + MIB, bytes.length)
      controller.enqueue(bytes.subarray(offset, end))
      offset = end
    },
  })
  return { body, sent }
}

/**
 * @tus/server lets go of an upload's lock before it finishes the upload, so other requests can
 * meet a finish under way: a download (which finishes a complete upload that has no verdict), or
 * a DELETE. The finish must still happen once, and a deletion must leave nothing behind. The
 * server re-reads the bytes for its SHA-256 here, which makes each finish last long enough to be
 * met.
 */
describe.each(STORE_KINDS)('finishing an upload once, on the %s store', (kind) => {
  let server: ServerProcess
  let store: StoreUnderTest

  beforeAll(async () => {
    store = await prepareStore(kind)
    server = await startServerProcess({ ...store.env, FERRY_SERVER_HASH: 'reread', FERRY_PROCESSING: 'false' })
  })
  afterAll(async () => {
    await server?.stop()
  })

  const listedIds = async () =>
    ((await (await fetch(`${server.url}/api/files?limit=100`)).json()) as { files: { id: string }[] }).files.map(
      (file) => file.id,
    )

  it('downloads that arrive during the finish wait for it: one file, listed once, no stray copy, all gone on delete', async () => {
    const bytes = randomBytes(kind === 's3' ? 24 * MIB : 48 * MIB)
    const url = await createUpload(`${server.url}/files/`, bytes.length)
    const id = new URL(url).pathname.split('/').at(-1) ?? ''
    const { body, sent } = trackedBody(bytes)
    const digest = createHash('sha256').update(bytes).digest('base64')
    const completing = patch(url, 0, body, { 'Repr-Digest': `sha-256=:${digest}:` })
    await sent
    // Downloads every 20 ms while the server stores the last bytes and finishes the upload.
    const downloads: Promise<number>[] = []
    for (let index = 0; index < 10; index++) {
      downloads.push(fetch(`${server.url}/files/${id}`).then(async (response) => (await response.arrayBuffer(), response.status)))
      await later(20)
    }
    expect((await completing).status).toBe(200)
    for (const status of await Promise.all(downloads)) expect([200, 404]).toContain(status)
    expect((await listedIds()).filter((listed) => listed === id)).toEqual([id])
    expect((await store.listAll()).filter((key) => key.endsWith('.tmp'))).toEqual([])

    expect((await fetch(`${server.url}/files/${id}`, { method: 'DELETE', headers: TUS })).status).toBe(204)
    expect(await listedIds()).not.toContain(id)
    expect((await store.listAllButCheckpoints()).filter((key) => key.includes(id))).toEqual([])
  })

  it('a DELETE during the finish waits for it, then leaves nothing; the PATCH is never told to finish again', async () => {
    const bytes = randomBytes(kind === 's3' ? 24 * MIB : 48 * MIB)
    const url = await createUpload(`${server.url}/files/`, bytes.length)
    const id = new URL(url).pathname.split('/').at(-1) ?? ''
    const { body, sent } = trackedBody(bytes)
    const digest = createHash('sha256').update(bytes).digest('base64')
    const completing = patch(url, 0, body, { 'Repr-Digest': `sha-256=:${digest}:` }).then(
      (response) => response.status,
      () => 'connection closed',
    )
    await sent
    await later(50) // the last bytes stored, the SHA-256 being read back
    const deleteResponse = await fetch(url, { method: 'DELETE', headers: TUS })
    expect(deleteResponse.status).toBe(204)
    // Finished before the deletion, or cut short by it: never a 5xx asking to finish again an
    // upload that no longer exists.
    expect([200, 404, 'connection closed']).toContain(await completing)
    expect((await fetch(`${server.url}/api/files/${id}`)).status).toBe(404)
    expect((await fetch(url, { method: 'HEAD', headers: TUS })).status).toBe(404)
    expect(await listedIds()).not.toContain(id)
    expect((await store.listAllButCheckpoints()).filter((key) => key.includes(id))).toEqual([])
  })
})
