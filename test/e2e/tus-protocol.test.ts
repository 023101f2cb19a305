import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawRequest } from '../helpers/rawHttp.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore, STORE_KINDS, type StoreUnderTest } from '../helpers/stores.js'
import { createUpload, headOffset, TUS } from '../helpers/tus.js'

describe.each(STORE_KINDS)('tus 1.0.0 status codes and headers on the %s store', (kind) => {
  let server: ServerProcess
  let store: StoreUnderTest
  let endpoint: string
  beforeAll(async () => {
    store = await prepareStore(kind)
    server = await startServerProcess({ ...store.env, FERRY_PROCESSING: 'false', FERRY_MAX_SIZE: String(1024 * 1024) })
    endpoint = `${server.url}/files/`
  })
  afterAll(async () => {
    await server?.stop()
  })

  const post = (headers: Record<string, string>) => fetch(endpoint, { method: 'POST', headers })

  it('OPTIONS advertises the version, extensions, checksum algorithms and maximum size', async () => {
    const response = await fetch(endpoint, { method: 'OPTIONS' })
    expect(response.status).toBe(204)
    expect(response.headers.get('tus-version')).toBe('1.0.0')
    expect(response.headers.get('tus-max-size')).toBe(String(1024 * 1024))
    const extensions = response.headers.get('tus-extension')?.split(',') ?? []
    for (const extension of ['creation', 'creation-with-upload', 'creation-defer-length', 'termination', 'expiration', 'checksum', 'concatenation']) {
      expect(extensions, extension).toContain(extension)
    }
    expect(response.headers.get('tus-checksum-algorithm')).toBe('sha1,md5,sha256')
    // RFC 9530: the server asks for the whole file's SHA-256 (the SDK sends it only where asked).
    expect(response.headers.get('want-repr-digest')).toBe('sha-256=10')
  })

  it('answers a missing or unsupported Tus-Resumable with 412 and Tus-Version', async () => {
    expect((await post({ 'Upload-Length': '10' })).status).toBe(412)
    const old = await post({ 'Tus-Resumable': '0.2.2', 'Upload-Length': '10' })
    expect(old.status).toBe(412)
    expect(old.headers.get('tus-version')).toBe('1.0.0')
  })

  it.each([
    ['negative', '-1'],
    ['non-numeric', 'ten'],
    ['fractional', '1.5'],
    ['huge', '99999999999999999999'],
  ])('refuses a %s Upload-Length with 400 and creates nothing', async (_label, length) => {
    const before = await store.listAllButCheckpoints()
    const response = await post({ ...TUS, 'Upload-Length': length })
    expect(response.status).toBe(400)
    expect(await store.listAllButCheckpoints()).toEqual(before)
  })

  it('refuses an upload over Tus-Max-Size with 413', async () => {
    expect((await post({ ...TUS, 'Upload-Length': String(1024 * 1024 + 1) })).status).toBe(413)
  })

  it('refuses broken base64 in Upload-Metadata with 400', async () => {
    expect((await post({ ...TUS, 'Upload-Length': '10', 'Upload-Metadata': 'filename ***' })).status).toBe(400)
  })

  it('creates with a deferred length and accepts it later', async () => {
    const created = await post({ ...TUS, 'Upload-Defer-Length': '1' })
    expect(created.status).toBe(201)
    const url = new URL(created.headers.get('location') ?? '', endpoint).href
    const head = await fetch(url, { method: 'HEAD', headers: TUS })
    expect(head.headers.get('upload-defer-length')).toBe('1')
    const patched = await fetch(url, {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': '0', 'Upload-Length': '5', 'Content-Type': 'application/offset+octet-stream' },
      body: Buffer.from('hello'),
    })
    expect(patched.status).toBe(200)
  })

  describe('PATCH', () => {
    const patchWith = (url: string, headers: Record<string, string>, body: Uint8Array<ArrayBuffer> = randomBytes(10)) =>
      fetch(url, { method: 'PATCH', headers: { ...TUS, 'Content-Type': 'application/offset+octet-stream', ...headers }, body })

    it('answers a wrong Content-Type with 415', async () => {
      const url = await createUpload(endpoint, 10)
      expect((await patchWith(url, { 'Upload-Offset': '0', 'Content-Type': 'application/json' })).status).toBe(415)
      // The tus media type has no parameters: one with them is another type, not a 400 from deeper in.
      expect((await patchWith(url, { 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream; x=1' })).status).toBe(415)
      expect(await headOffset(url)).toBe(0)
    })

    it('answers an offset that is not the upload’s with 409', async () => {
      const url = await createUpload(endpoint, 20)
      expect((await patchWith(url, { 'Upload-Offset': '5' })).status).toBe(409)
      expect(await headOffset(url)).toBe(0)
    })

    it.each([['negative', '-1'], ['non-numeric', 'zero']])('answers a %s Upload-Offset with 400', async (_label, offset) => {
      const url = await createUpload(endpoint, 10)
      expect((await patchWith(url, { 'Upload-Offset': offset })).status).toBe(400)
      expect(await headOffset(url)).toBe(0)
    })

    it('answers a missing Upload-Offset with 400 and stores nothing', async () => {
      const url = await createUpload(endpoint, 10)
      const response = await patchWith(url, {})
      expect(response.status).toBe(400)
      expect((await response.json()).error.code).toBe('invalid-offset')
      expect(await headOffset(url)).toBe(0)
    })

    it('answers more bytes than the declared length with 413', async () => {
      const url = await createUpload(endpoint, 10)
      expect((await patchWith(url, { 'Upload-Offset': '0' }, randomBytes(11))).status).toBe(413)
      expect(await headOffset(url)).toBe(0)
    })

    it('serves an upload URL that carries a query string on every method', async () => {
      const url = await createUpload(endpoint, 20)
      const bytes = randomBytes(20)
      expect((await patchWith(`${url}?attempt=1`, { 'Upload-Offset': '0' }, bytes.subarray(0, 10))).status).toBe(204)
      const head = await fetch(`${url}?x=1&y`, { method: 'HEAD', headers: TUS })
      expect([head.status, head.headers.get('upload-offset')]).toEqual([200, '10'])
      const last = await patchWith(`${url}?attempt=2`, { 'Upload-Offset': '10' }, bytes.subarray(10))
      expect(last.status).toBe(200)
      // The description names the upload's own URL, without the query it was reached by.
      expect((await last.json()).url).toBe(url)
      const download = await fetch(`${url}?download=1`)
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true)
      expect((await fetch(`${url}?x=1`, { method: 'DELETE', headers: TUS })).status).toBe(204)
      expect((await fetch(url, { method: 'HEAD', headers: TUS })).status).toBe(404)
    })

    it('answers an unknown upload with 404', async () => {
      expect((await patchWith(`${endpoint}ffffffffffffffffffffffffffffffff`, { 'Upload-Offset': '0' })).status).toBe(404)
    })

    it('answers an id that smuggles a path (%2F, %5C) with 404 on every method', async () => {
      const url = await createUpload(endpoint, 5)
      const id = url.split('/').at(-1) ?? ''
      for (const smuggled of [`..%2F${id}`, `x%2F..%2F..%2F${id}`, `..%5C${id}`, `${id}%2F`]) {
        expect((await fetch(`${endpoint}${smuggled}`, { method: 'HEAD', headers: TUS })).status).toBe(404)
        expect((await fetch(`${endpoint}${smuggled}`)).status).toBe(404)
        expect((await patchWith(`${endpoint}${smuggled}`, { 'Upload-Offset': '0' }, Buffer.from('hello'))).status).toBe(404)
      }
      expect(await headOffset(url)).toBe(0)
    })
  })

  // Sent over a raw socket: fetch joins repeated headers into one line. Each request would be
  // accepted were the header sent once, so only the repeat can refuse it.
  describe('a repeated header', () => {
    const hello = 'hello'
    const tus: [string, string] = ['Tus-Resumable', '1.0.0']
    const octets: [string, string] = ['Content-Type', 'application/offset+octet-stream']
    const offset: [string, string] = ['Upload-Offset', '0']
    const checksum: [string, string] = ['Upload-Checksum', 'sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=']
    const patchRaw = (url: string, headers: [string, string][]) =>
      rawRequest(server.url, {
        method: 'PATCH',
        path: new URL(url).pathname,
        headers: [...headers, ['Content-Length', String(hello.length)]],
        body: hello,
      })

    it.each([
      ['Upload-Offset', [tus, octets, offset, offset]],
      ['Tus-Resumable', [tus, tus, octets, offset]],
      ['Content-Type', [tus, octets, octets, offset]],
      ['Upload-Checksum', [tus, octets, offset, checksum, checksum]],
      ['Upload-Length', [tus, octets, offset, ['Upload-Length', '5'], ['Upload-Length', '5']]],
    ] as [string, [string, string][]][])('%s on PATCH answers 400 naming it; the offset stays', async (name, headers) => {
      const create = () => (name === 'Upload-Length' ? createDeferred() : createUpload(endpoint, hello.length))
      const control = await create()
      expect((await patchRaw(control, sentOnce(headers))).status, 'sent once').toBe(200)
      expect(await headOffset(control)).toBe(hello.length)
      const target = await create()
      const response = await patchRaw(target, headers)
      expect(response.status).toBe(400)
      expect(response.headers['tus-resumable']).toBe('1.0.0')
      expect(JSON.parse(response.body)).toEqual({
        error: { code: 'duplicate-header', message: `ferry-server: the ${name} header was sent more than once; send it once` },
      })
      expect(await headOffset(target)).toBe(0)
    })

    it('Content-Length on PATCH is refused by Node itself (400 before the app); the offset stays', async () => {
      const url = await createUpload(endpoint, hello.length)
      const length: [string, string] = ['Content-Length', String(hello.length)]
      const response = await rawRequest(server.url, { method: 'PATCH', path: new URL(url).pathname, headers: [tus, octets, offset, length, length], body: hello })
      expect(response.status).toBe(400)
      expect(await headOffset(url)).toBe(0)
    })

    it.each([
      ['Upload-Length', [tus, ['Upload-Length', '5'], ['Upload-Length', '5']]],
      ['Upload-Metadata', [tus, ['Upload-Length', '5'], ['Upload-Metadata', 'filename YS5iaW4='], ['Upload-Metadata', 'filetype dGV4dC9wbGFpbg==']]],
      ['Tus-Resumable', [tus, tus, ['Upload-Length', '5']]],
    ] as [string, [string, string][]][])('%s on POST answers 400 naming it and creates nothing', async (name, headers) => {
      const createWith = (lines: [string, string][]) =>
        rawRequest(server.url, { method: 'POST', path: '/files/', headers: [...lines, ['Content-Length', '0']] })
      expect((await createWith(sentOnce(headers))).status, 'sent once').toBe(201)
      const before = await store.listAllButCheckpoints()
      const response = await createWith(headers)
      expect(response.status).toBe(400)
      expect(response.headers.location).toBeUndefined()
      expect(JSON.parse(response.body).error).toEqual({
        code: 'duplicate-header',
        message: `ferry-server: the ${name} header was sent more than once; send it once`,
      })
      expect(await store.listAllButCheckpoints()).toEqual(before)
    })

    function sentOnce(headers: [string, string][]): [string, string][] {
      return headers.filter(([name], index) => headers.findIndex(([other]) => other === name) === index)
    }

    async function createDeferred(): Promise<string> {
      const created = await post({ ...TUS, 'Upload-Defer-Length': '1' })
      expect(created.status).toBe(201)
      return new URL(created.headers.get('location') ?? '', endpoint).href
    }
  })
})
