import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chunkedRequest } from '../helpers/chunkedRequest.js'
import { sha256, sha256OfResponse } from '../helpers/files.js'
import { rawRequest } from '../helpers/rawHttp.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore, STORE_KINDS, type StoreUnderTest } from '../helpers/stores.js'
import { createUpload, headOffset, patch, reprDigest, TUS } from '../helpers/tus.js'

const MIB = 1024 * 1024
const OCTETS = { 'Content-Type': 'application/offset+octet-stream' }
const checksum = (algorithm: string, bytes: Uint8Array) => `${algorithm} ${createHash(algorithm).update(bytes).digest('base64')}`
/** A chunk in pieces, as a client streaming it would write them. */
const pieces = (bytes: Uint8Array, size = 256 * 1024) =>
  Array.from({ length: Math.ceil(bytes.length / size) }, (_, index) => bytes.subarray(index * size, (index + 1) * size))

describe.each(STORE_KINDS)('the checksum extension with trailers, and on creation with upload, on the %s store', (kind) => {
  let server: ServerProcess
  let store: StoreUnderTest
  beforeAll(async () => {
    store = await prepareStore(kind)
    server = await startServerProcess({ ...store.env, FERRY_PROCESSING: 'false' })
  })
  afterAll(async () => {
    await server?.stop()
  })

  const patchWithTrailer = (url: string, offset: number, bytes: Uint8Array, trailers?: Record<string, string>) =>
    chunkedRequest(url, {
      method: 'PATCH',
      headers: { ...TUS, ...OCTETS, 'Upload-Offset': String(offset), Trailer: 'Upload-Checksum' },
      chunks: pieces(bytes),
      trailers,
    })

  it('announces checksum-trailer', async () => {
    const response = await fetch(`${server.url}/files/`, { method: 'OPTIONS' })
    expect(response.headers.get('tus-extension')?.split(',')).toContain('checksum-trailer')
  })

  it('verifies an Upload-Checksum trailer in each algorithm; a mismatch is 460 and leaves the offset', async () => {
    const bytes = randomBytes(3 * MIB)
    const url = await createUpload(`${server.url}/files/`, bytes.length)
    const first = bytes.subarray(0, MIB)

    const wrong = await patchWithTrailer(url, 0, first, { 'Upload-Checksum': checksum('sha1', bytes.subarray(1, MIB + 1)) })
    expect(wrong.status).toBe(460)
    expect(JSON.parse(wrong.text).error.code).toBe('checksum-mismatch')
    expect(await headOffset(url)).toBe(0)

    let offset = 0
    for (const algorithm of ['md5', 'sha256', 'sha1']) {
      const chunk = bytes.subarray(offset, offset + MIB)
      const response = await patchWithTrailer(url, offset, chunk, { 'Upload-Checksum': checksum(algorithm, chunk) })
      offset += MIB
      expect(response.status, `${algorithm}: ${response.text}`).toBe(offset === bytes.length ? 200 : 204)
      expect(Number(response.headers['upload-offset'])).toBe(offset)
    }
    expect(await sha256OfResponse(await fetch(url))).toBe(sha256(bytes))
  })

  it('refuses an announced trailer that never came, or names an unknown algorithm, with 400 and stores nothing', async () => {
    const bytes = randomBytes(MIB)
    const url = await createUpload(`${server.url}/files/`, bytes.length)
    const missing = await patchWithTrailer(url, 0, bytes)
    expect(missing.status).toBe(400)
    expect(JSON.parse(missing.text).error.code).toBe('checksum-trailer-missing')
    expect(await headOffset(url)).toBe(0)

    const unknown = await patchWithTrailer(url, 0, bytes, { 'Upload-Checksum': 'crc32 AAAAAA==' })
    expect(unknown.status).toBe(400)
    expect(JSON.parse(unknown.text).error.code).toBe('checksum-algorithm')
    expect(await headOffset(url)).toBe(0)
  })

  it('refuses a trailer announced on a body that cannot carry one, or next to the header, before reading it', async () => {
    const bytes = randomBytes(1000)
    const url = await createUpload(`${server.url}/files/`, bytes.length)
    const path = new URL(url).pathname
    const withLength = await rawRequest(server.url, {
      method: 'PATCH',
      path,
      headers: [
        ['Tus-Resumable', '1.0.0'],
        ['Content-Type', 'application/offset+octet-stream'],
        ['Upload-Offset', '0'],
        ['Trailer', 'Upload-Checksum'],
        ['Content-Length', String(bytes.length)],
      ],
      body: bytes,
    })
    expect(withLength.status).toBe(400)
    expect(JSON.parse(withLength.body).error.message).toMatch(/chunked/)

    const both = await chunkedRequest(url, {
      method: 'PATCH',
      headers: { ...TUS, ...OCTETS, 'Upload-Offset': '0', Trailer: 'Upload-Checksum', 'Upload-Checksum': checksum('sha1', bytes) },
      chunks: [bytes],
      trailers: { 'Upload-Checksum': checksum('sha1', bytes) },
    })
    expect(both.status).toBe(400)
    expect(JSON.parse(both.text).error.code).toBe('checksum-invalid')
    expect(await headOffset(url)).toBe(0)
  })

  it('checks Upload-Checksum on a creation with upload: a mismatch is 460 and creates nothing', async () => {
    const bytes = randomBytes(MIB)
    const before = await store.listAllButCheckpoints()
    const response = await fetch(`${server.url}/files/`, {
      method: 'POST',
      headers: { ...TUS, ...OCTETS, 'Upload-Length': String(bytes.length), 'Upload-Checksum': checksum('sha256', bytes.subarray(1)) },
      body: bytes,
    })
    expect(response.status).toBe(460)
    expect((await response.json()).error.code).toBe('checksum-mismatch')
    expect(response.headers.get('location')).toBeNull()
    expect(await store.listAllButCheckpoints()).toEqual(before)
  })

  it('takes a creation with upload checked by a trailer, and continues it with PATCH', async () => {
    const bytes = randomBytes(2 * MIB + 17)
    const first = bytes.subarray(0, MIB)
    const created = await chunkedRequest(`${server.url}/files/`, {
      method: 'POST',
      headers: { ...TUS, ...OCTETS, 'Upload-Length': String(bytes.length), Trailer: 'Upload-Checksum' },
      chunks: pieces(first),
      trailers: { 'Upload-Checksum': checksum('sha256', first) },
    })
    expect(created.status, created.text).toBe(201)
    expect(created.headers['upload-offset']).toBe(String(MIB))
    const url = new URL(created.headers.location ?? '', server.url).href
    const rest = bytes.subarray(MIB)
    const finished = await patch(url, MIB, rest, { 'Upload-Checksum': checksum('md5', rest), ...reprDigest(bytes) })
    expect(finished.status, await finished.clone().text()).toBe(200)
    expect(await finished.json()).toMatchObject({ state: 'verified', sha256: sha256(bytes) })
    expect(await sha256OfResponse(await fetch(url))).toBe(sha256(bytes))
  })
})
