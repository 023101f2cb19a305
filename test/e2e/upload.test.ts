import { createHash, randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sha256, sha256OfResponse } from '../helpers/files.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore, STORE_KINDS, type StoreUnderTest } from '../helpers/stores.js'
import { createUpload, headOffset, patch, reprDigest, TUS } from '../helpers/tus.js'

const MIB = 1024 * 1024

describe.each(STORE_KINDS)('uploads on the %s store', (kind) => {
  let store: StoreUnderTest
  let server: ServerProcess

  beforeEach(async () => {
    store = await prepareStore(kind)
    server = await startServerProcess(store.env)
  })
  afterEach(async () => {
    await server?.stop()
  })

  it('lands a multi-chunk upload byte-exact and serves it back', async () => {
    const bytes = randomBytes(21 * MIB + 12_345)
    const url = await createUpload(`${server.url}/files/`, bytes.length, {
      filename: 'report.pdf',
      filetype: 'application/pdf',
    })
    const chunk = 5 * MIB
    let offset = 0
    while (offset < bytes.length) {
      const end = Math.min(offset + chunk, bytes.length)
      const isLast = end === bytes.length
      const response = await patch(url, offset, bytes.subarray(offset, end), isLast ? reprDigest(bytes) : {})
      expect(response.status, await response.clone().text()).toBe(isLast ? 200 : 204)
      offset = Number(response.headers.get('upload-offset'))
      expect(offset).toBe(end)
      if (isLast) {
        const file = await response.json()
        expect(file).toMatchObject({ size: bytes.length, sha256: sha256(bytes), state: 'verified', name: 'report.pdf' })
        expect(file.url).toBe(url)
      }
    }

    const download = await fetch(url)
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('application/pdf')
    expect(download.headers.get('content-length')).toBe(String(bytes.length))
    expect(await sha256OfResponse(download)).toBe(sha256(bytes))

    const ranged = await fetch(url, { headers: { Range: 'bytes=1000-1999' } })
    expect(ranged.status).toBe(206)
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`)
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true)

    const head = await fetch(url, { method: 'HEAD', headers: TUS })
    expect(head.headers.get('upload-offset')).toBe(String(bytes.length))
    expect(head.headers.get('upload-metadata')).toContain(`filename ${Buffer.from('report.pdf').toString('base64')}`)
  })

  it('rejects a wrong client digest, quarantines the upload and never serves it', async () => {
    const bytes = randomBytes(MIB)
    const url = await createUpload(`${server.url}/files/`, bytes.length)
    const wrong = reprDigest(sha256(Buffer.from('something else')))
    const response = await patch(url, 0, bytes, wrong)
    expect(response.status).toBe(422)
    const body = await response.json()
    expect(body.error.code).toBe('digest-mismatch')
    expect(body.error.message).toContain(sha256(bytes))

    const download = await fetch(url)
    expect(download.status).toBe(410)
    expect((await download.json()).error.code).toBe('quarantined')
    // Resuming clients learn the upload is gone and start over instead of reporting success.
    expect((await fetch(url, { method: 'HEAD', headers: TUS })).status).toBe(410)
    // A second attempt with the right digest cannot launder quarantined bytes.
    const retry = await patch(url, bytes.length, new Uint8Array(0), reprDigest(bytes))
    expect(retry.status).toBe(410)
  })

  it('keeps a verified file as it was when a later finish claims another digest', async () => {
    const bytes = randomBytes(MIB + 17)
    const url = await createUpload(`${server.url}/files/`, bytes.length)
    const finished = await patch(url, 0, bytes, reprDigest(bytes))
    expect(finished.status, await finished.clone().text()).toBe(200)
    const file = await finished.json()

    // The answer got lost; the client finishes again, once right and once wrong.
    const again = await patch(url, bytes.length, new Uint8Array(0), reprDigest(bytes))
    expect(again.status, await again.clone().text()).toBe(200)
    expect(await again.json()).toEqual(file)
    const wrong = await patch(url, bytes.length, new Uint8Array(0), reprDigest(randomBytes(8)))
    expect(wrong.status).toBe(422)
    expect((await wrong.json()).error.message).toContain('stays as it was verified')

    const description = await (await fetch(`${server.url}/api/files/${file.id}`)).json()
    expect(description).toMatchObject({ state: 'verified', key: file.key, sha256: sha256(bytes) })
    expect(await sha256OfResponse(await fetch(url))).toBe(sha256(bytes))
  })

  it('answers a malformed digest with 400 before storing a byte, and accepts the right one afterwards', async () => {
    const bytes = randomBytes(64 * 1024)
    const url = await createUpload(`${server.url}/files/`, bytes.length)
    const bad = await patch(url, 0, bytes, { 'Repr-Digest': 'sha-256=:bm90IGEgZGlnZXN0:' })
    expect(bad.status).toBe(400)
    expect((await bad.json()).error.code).toBe('digest-invalid')
    expect(Number((await fetch(url, { method: 'HEAD', headers: TUS })).headers.get('upload-offset'))).toBe(0)
    const finish = await patch(url, 0, bytes, reprDigest(bytes))
    expect(finish.status).toBe(200)
    expect((await finish.json()).state).toBe('verified')
  })

  it('terminates an upload and removes everything it stored', async () => {
    const before = await store.listAllButCheckpoints()
    const bytes = randomBytes(7 * MIB)
    const unfinished = await createUpload(`${server.url}/files/`, bytes.length)
    // 6 MiB then stop: on S3 that is one 5 MiB+ part in a multipart upload plus a `.part` leftover.
    expect((await patch(unfinished, 0, bytes.subarray(0, 6 * MIB + 3))).status).toBe(204)
    const finished = await createUpload(`${server.url}/files/`, bytes.length)
    expect((await patch(finished, 0, bytes, reprDigest(bytes))).status).toBe(200)
    expect((await store.listAllButCheckpoints()).length).toBeGreaterThan(before.length)

    for (const url of [unfinished, finished]) {
      const response = await fetch(url, { method: 'DELETE', headers: TUS })
      expect(response.status).toBe(204)
      expect((await fetch(url, { method: 'HEAD', headers: TUS })).status).toBe(404)
      expect((await fetch(url)).status).toBe(404)
    }
    expect(await store.listAllButCheckpoints()).toEqual(before)
    // Nothing of either is left, its hash checkpoint included.
    const ids = [unfinished, finished].map((url) => url.split('/').at(-1) ?? '')
    expect((await store.listAll()).filter((key) => ids.some((id) => key.includes(id)))).toEqual([])
  })

  it('verifies Upload-Checksum (sha1, md5, sha256): 460 leaves the offset where it was', async () => {
    const options = await fetch(`${server.url}/files/`, { method: 'OPTIONS' })
    expect(options.headers.get('tus-extension')?.split(',')).toContain('checksum')
    expect(options.headers.get('tus-checksum-algorithm')).toBe('sha1,md5,sha256')

    const bytes = randomBytes(3 * MIB)
    const url = await createUpload(`${server.url}/files/`, bytes.length)
    const checksum = (algorithm: string, data: Uint8Array) =>
      `${algorithm} ${createHash(algorithm).update(data).digest('base64')}`
    const first = bytes.subarray(0, MIB)
    const bad = await patch(url, 0, first, { 'Upload-Checksum': checksum('sha256', bytes.subarray(1, MIB + 1)) })
    expect(bad.status).toBe(460)
    expect((await bad.json()).error.code).toBe('checksum-mismatch')
    expect(await headOffset(url)).toBe(0)

    const unknown = await patch(url, 0, first, { 'Upload-Checksum': 'crc32 AAAAAA==' })
    expect(unknown.status).toBe(400)
    expect(await headOffset(url)).toBe(0)

    let offset = 0
    for (const algorithm of ['sha1', 'md5', 'sha256']) {
      const chunk = bytes.subarray(offset, offset + MIB)
      const headers = { 'Upload-Checksum': checksum(algorithm, chunk), ...(offset + MIB === bytes.length ? reprDigest(bytes) : {}) }
      const response = await patch(url, offset, chunk, headers)
      expect(response.status, algorithm).toBe(offset + MIB === bytes.length ? 200 : 204)
      offset += MIB
      expect(Number(response.headers.get('upload-offset'))).toBe(offset)
    }
    expect(await sha256OfResponse(await fetch(url))).toBe(sha256(bytes))
  })

  it.skipIf(kind !== 'disk')('streams a checksummed chunk to disk as it arrives, and cuts it back out on a mismatch', async () => {
    const bytes = randomBytes(4 * MIB)
    const url = await createUpload(`${server.url}/files/`, bytes.length)
    const wrong = `sha256 ${createHash('sha256').update(bytes.subarray(1)).digest('base64')}`
    let sent = 0
    const slowly = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === bytes.length) return controller.close()
        controller.enqueue(bytes.subarray(sent, sent + MIB))
        sent += MIB
        await new Promise((resolve) => setTimeout(resolve, 300))
      },
    })
    const refused = patch(url, 0, slowly, { 'Upload-Checksum': wrong, 'Content-Length': String(bytes.length) })
    while (sent < 2 * MIB) await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setTimeout(resolve, 150))
    // Not held in memory until the end: the first bytes are in the file while the rest travels.
    // (Read from the file itself: a HEAD waits for the upload's lock, held by the PATCH.)
    const file = path.join(store.env.FERRY_DATA_DIR ?? '', 'uploads', url.split('/').at(-1) ?? '')
    expect((await stat(file)).size).toBeGreaterThan(0)
    const response = await refused
    expect(response.status).toBe(460)
    expect((await response.json()).error.code).toBe('checksum-mismatch')
    expect(await headOffset(url)).toBe(0)

    const right = `sha256 ${createHash('sha256').update(bytes).digest('base64')}`
    const accepted = await patch(url, 0, bytes, { 'Upload-Checksum': right, ...reprDigest(bytes) })
    expect(accepted.status, await accepted.clone().text()).toBe(200)
    expect((await accepted.json()).state).toBe('verified')
    expect(await sha256OfResponse(await fetch(url))).toBe(sha256(bytes))
  })

  it('holds a checksummed chunk in memory only where it must, within FERRY_CHECKSUM_MAX_CHUNK', async () => {
    await server.stop()
    server = await startServerProcess({ ...store.env, FERRY_CHECKSUM_MAX_CHUNK: String(MIB) })
    const bytes = randomBytes(2 * MIB)
    const url = await createUpload(`${server.url}/files/`, bytes.length)
    const checksum = `sha256 ${createHash('sha256').update(bytes).digest('base64')}`
    const response = await patch(url, 0, bytes, { 'Upload-Checksum': checksum, ...reprDigest(bytes) })
    if (kind === 'disk') {
      // The disk store checks the chunk as it streams in: no chunk is held, so there is no limit.
      expect(response.status, await response.clone().text()).toBe(200)
      expect(await headOffset(url)).toBe(bytes.length)
    } else {
      expect(response.status).toBe(413)
      expect((await response.json()).error.code).toBe('checksum-chunk-too-large')
      expect(await headOffset(url)).toBe(0)
    }
  })

  it('answers 404 for an unknown upload on every method', async () => {
    const url = `${server.url}/files/0123456789abcdef0123456789abcdef`
    expect((await fetch(url)).status).toBe(404)
    expect((await fetch(url, { method: 'HEAD', headers: TUS })).status).toBe(404)
    expect((await patch(url, 0, new Uint8Array(1))).status).toBe(404)
    expect((await fetch(url, { method: 'DELETE', headers: TUS })).status).toBe(404)
  })

  it('resumes byte-exact after the server is killed mid-upload', async () => {
    const bytes = randomBytes(28 * MIB)
    const url = await createUpload(`${server.url}/files/`, bytes.length)
    const sentBeforeKill = 20 * MIB
    // Stream the body slowly enough that the kill lands in the middle of the PATCH.
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= sentBeforeKill) return new Promise(() => {})
        const piece = bytes.subarray(sent, sent + MIB)
        sent += piece.length
        controller.enqueue(piece)
        await new Promise((resolve) => setTimeout(resolve, 10))
      },
    })
    const interrupted = patch(url, 0, body).catch((error: unknown) => error)
    while (sent < sentBeforeKill) await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await server.kill()
    expect(await interrupted).toBeInstanceOf(Error)

    server = await startServerProcess(store.env, server.port)
    const offset = await headOffset(url)
    expect(offset).toBeGreaterThan(0)
    expect(offset).toBeLessThanOrEqual(sentBeforeKill)

    const response = await patch(url, offset, bytes.subarray(offset), reprDigest(bytes))
    expect(response.status, await response.clone().text()).toBe(200)
    expect((await response.json()).state).toBe('verified')
    expect(await sha256OfResponse(await fetch(url))).toBe(sha256(bytes))
  })
})
