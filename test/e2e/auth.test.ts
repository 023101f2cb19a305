import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawRequest } from '../helpers/rawHttp.js'
import { sha256, sha256OfResponse } from '../helpers/files.js'
import { noisyJpeg } from '../helpers/processing.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'
import { decodeMetadata, encodeMetadata, reprDigest, TUS } from '../helpers/tus.js'

const SECRET = 'a-shared-secret-of-at-least-32-characters!'

function hs256(sub: string, expiresIn = '5m'): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(SECRET))
}

describe('authentication and tenancy (bearer JWT, HS256)', () => {
  let server: ServerProcess
  let alice: string
  let bob: string
  beforeAll(async () => {
    server = await startServerProcess({ ...(await prepareStore('disk')).env, FERRY_AUTH: 'jwt', FERRY_JWT_SECRET: SECRET })
    alice = `Bearer ${await hs256('alice')}`
    bob = `Bearer ${await hs256('bob')}`
  })
  afterAll(async () => {
    await server?.stop()
  })

  const request = (url: string, method: string, authorization?: string, headers: Record<string, string> = {}, body?: Uint8Array<ArrayBuffer>) =>
    fetch(url, { method, headers: { ...TUS, ...(authorization ? { Authorization: authorization } : {}), ...headers }, body })

  it('refuses requests without a valid token with 401', async () => {
    const endpoint = `${server.url}/files/`
    const none = await request(endpoint, 'POST', undefined, { 'Upload-Length': '10' })
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer')
    expect((await request(endpoint, 'POST', 'Bearer not-a-jwt', { 'Upload-Length': '10' })).status).toBe(401)
    const expired = `Bearer ${await hs256('alice', '-1m')}`
    const late = await request(endpoint, 'POST', expired, { 'Upload-Length': '10' })
    expect(late.status).toBe(401)
    expect((await late.json()).error.message).toMatch(/exp/)
    const forged = `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(new TextEncoder().encode('x'.repeat(40)))}`
    expect((await request(endpoint, 'POST', forged, { 'Upload-Length': '10' })).status).toBe(401)
    // CORS preflights never need a token.
    expect((await fetch(endpoint, { method: 'OPTIONS' })).status).toBe(204)
  })

  it('shows an upload to its owner only: every route answers another user 404', async () => {
    const bytes = await noisyJpeg(300, 200)
    const created = await request(`${server.url}/files/`, 'POST', alice, {
      'Upload-Length': String(bytes.length),
      // A client cannot claim someone else's upload through metadata.
      'Upload-Metadata': encodeMetadata({ filename: 'alice.jpg', filetype: 'image/jpeg', 'ferry-owner': 'bob' }),
    })
    expect(created.status).toBe(201)
    const url = new URL(created.headers.get('location') ?? '', server.url).href
    const id = url.split('/').at(-1)

    // Bob, before the upload is complete: HEAD, PATCH, DELETE.
    expect((await request(url, 'HEAD', bob)).status).toBe(404)
    const patchAsBob = await request(url, 'PATCH', bob, { 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, bytes)
    expect(patchAsBob.status).toBe(404)
    expect((await request(url, 'DELETE', bob)).status).toBe(404)

    // Alice finishes it.
    const finished = await request(url, 'PATCH', alice, { 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', ...reprDigest(bytes) }, bytes)
    expect(finished.status).toBe(200)

    // Bob, after: download, API, events, outputs, termination.
    for (const [method, path] of [
      ['GET', url],
      ['HEAD', url],
      ['GET', `${server.url}/api/files/${id}`],
      ['GET', `${server.url}/api/files/${id}/events`],
      ['GET', `${server.url}/api/files/${id}/outputs/thumb_150.jpg`],
      ['DELETE', url],
    ] as const) {
      const response = await request(path, method, bob)
      expect(response.status, `${method} ${path}`).toBe(404)
      await response.body?.cancel()
    }
    // A request without a token is refused before anything is looked up.
    expect((await fetch(url)).status).toBe(401)

    // Alice sees everything, and it is still there after Bob's attempts.
    const download = await request(url, 'GET', alice)
    expect(download.status).toBe(200)
    expect(await sha256OfResponse(download)).toBe(sha256(bytes))
    // HEAD echoes the client's metadata, not the owner the server keeps beside it (nor the forged one).
    const head = await request(url, 'HEAD', alice)
    expect(decodeMetadata(head.headers.get('upload-metadata'))).toEqual({ filename: 'alice.jpg', filetype: 'image/jpeg' })
    expect((await request(`${server.url}/api/files/${id}`, 'GET', alice)).status).toBe(200)
    expect((await request(url, 'DELETE', alice)).status).toBe(204)
  })

  it('answers 404 to every other path under /files, so no path reaches an upload past the ownership check', async () => {
    const bytes = randomBytes(1000)
    const created = await request(`${server.url}/files/`, 'POST', alice, { 'Upload-Length': String(bytes.length) })
    const url = new URL(created.headers.get('location') ?? '', server.url).href
    const id = url.split('/').at(-1) ?? ''
    const octets = { 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Upload-Length': '1000' }
    for (const path of [`${url}/`, `${server.url}/files//${id}`, `${server.url}/files/x/${id}`, `${server.url}/files/${id}/x`]) {
      for (const method of ['GET', 'HEAD', 'PATCH', 'DELETE', 'POST']) {
        const response = await request(path, method, bob, octets, method === 'PATCH' || method === 'POST' ? bytes : undefined)
        expect(response.status, `${method} ${path}`).toBe(404)
        await response.body?.cancel()
      }
    }
    // Ids no store could hold are no upload either, and no server error.
    for (const path of [`${server.url}/files/abc%00`, `${server.url}/files/${'a'.repeat(300)}`, `${server.url}/api/files/abc%00`]) {
      for (const method of ['GET', 'HEAD', 'DELETE']) {
        const response = await request(path, method, bob)
        expect(response.status, `${method} ${path}`).toBe(404)
        await response.body?.cancel()
      }
    }
    // A method an upload URL does not have is 405, not a way around the routes.
    const put = await request(url, 'PUT', alice, octets, bytes)
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('GET, HEAD, PATCH, DELETE, OPTIONS')
    // Alice's upload is untouched and still hers alone.
    const head = await request(url, 'HEAD', alice)
    expect(head.headers.get('upload-offset')).toBe('0')
    expect((await request(url, 'HEAD', bob)).status).toBe(404)
  })

  it('answers someone else’s upload exactly as one that does not exist', async () => {
    const created = await request(`${server.url}/files/`, 'POST', alice, { 'Upload-Length': '10', 'Upload-Concat': 'partial' })
    const id = new URL(created.headers.get('location') ?? '', server.url).pathname.split('/').at(-1) ?? ''
    const missing = '0123456789abcdef0123456789abcdef'
    const answer = async (target: string, method: string, path: string, headers: Record<string, string> = {}) => {
      const response = await request(`${server.url}${path.replace('ID', target)}`, method, bob, headers)
      const names = [...response.headers.keys()].filter((name) => name !== 'date' && name !== 'content-length').sort()
      return { status: response.status, names, body: (await response.text()).replace(target, 'ID') }
    }
    for (const [method, path, headers] of [
      ['HEAD', '/files/ID', {}],
      ['GET', '/files/ID', {}],
      ['PATCH', '/files/ID', { 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }],
      ['DELETE', '/files/ID', {}],
      ['GET', '/api/files/ID', {}],
      ['POST', '/files/', { 'Upload-Concat': 'final;/files/ID' }],
    ] as const) {
      const foreign = await answer(id, method, path, headers)
      expect(foreign.status, `${method} ${path}`).toBe(404)
      expect(foreign, `${method} ${path}`).toEqual(await answer(missing, method, path, headers))
    }
  })

  it('answers a repeated Authorization header with 400 on the file API too', async () => {
    const response = await rawRequest(server.url, {
      method: 'GET',
      path: '/api/files',
      headers: [
        ['Authorization', bob],
        ['Authorization', alice],
      ],
    })
    expect(response.status).toBe(400)
    expect(JSON.parse(response.body).error.code).toBe('duplicate-header')
  })

  it('never takes the owner, tier or partial flag from request headers', async () => {
    const forged = { 'Upload-Length': '10', 'X-Ferry-Owner': 'alice', 'X-Ferry-Tier': 'enterprise', 'X-Ferry-Concat': 'partial' }
    const created = await request(`${server.url}/files/`, 'POST', bob, forged)
    expect(created.status).toBe(201)
    const url = new URL(created.headers.get('location') ?? '', server.url).href
    expect((await request(url, 'HEAD', alice)).status).toBe(404)
    const head = await request(url, 'HEAD', bob)
    expect(head.status).toBe(200)
    expect(head.headers.get('upload-concat')).toBeNull()
    // No metadata was given, and the server's own (owner, tier) is not shown as if it had been.
    expect(head.headers.get('upload-metadata')).toBeNull()
  })

  it('will not join another user’s partial uploads', async () => {
    const part = randomBytes(1000)
    const created = await request(`${server.url}/files/`, 'POST', alice, { 'Upload-Length': '1000', 'Upload-Concat': 'partial' })
    const partUrl = new URL(created.headers.get('location') ?? '', server.url).href
    await request(partUrl, 'PATCH', alice, { 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, part)
    const final = await request(`${server.url}/files/`, 'POST', bob, { 'Upload-Concat': `final;${new URL(partUrl).pathname}` })
    expect(final.status).toBe(404)
    // Once joined into Alice's final upload, the partial still answers Alice's HEAD and her
    // repeated creation, and is still missing for Bob, who cannot reach her final through it.
    const concat = { 'Upload-Concat': `final;${new URL(partUrl).pathname}` }
    const alices = await request(`${server.url}/files/`, 'POST', alice, concat)
    expect(alices.status).toBe(201)
    expect((await request(partUrl, 'HEAD', alice)).status).toBe(200)
    expect((await request(partUrl, 'HEAD', bob)).status).toBe(404)
    expect((await request(`${server.url}/files/`, 'POST', bob, concat)).status).toBe(404)
    const again = await request(`${server.url}/files/`, 'POST', alice, concat)
    expect(again.status).toBe(201)
    expect(again.headers.get('location')).toBe(alices.headers.get('location'))
  })
})

describe('authentication with a JWKS URL (RS256 and ES256)', () => {
  it('accepts tokens signed by keys from the JWKS and refuses others', async () => {
    const rsa = await generateKeyPair('RS256')
    const ec = await generateKeyPair('ES256')
    const stranger = await generateKeyPair('RS256')
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec', alg: 'ES256', use: 'sig' },
    ]
    const jwks = createServer((_request, response) => response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys })))
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve))
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`
    const server = await startServerProcess({
      ...(await prepareStore('disk')).env,
      FERRY_AUTH: 'jwt',
      FERRY_JWKS_URL: jwksUrl,
      FERRY_JWT_ISSUER: 'https://auth.example',
      FERRY_JWT_AUDIENCE: 'ferry',
    })
    const sign = (key: CryptoKey, alg: string, kid: string, issuer = 'https://auth.example') =>
      new SignJWT({}).setProtectedHeader({ alg, kid }).setSubject('carol').setIssuer(issuer).setAudience('ferry').setExpirationTime('5m').sign(key)
    const create = (token: string) =>
      fetch(`${server.url}/files/`, { method: 'POST', headers: { ...TUS, 'Upload-Length': '5', Authorization: `Bearer ${token}` } })
    try {
      expect((await create(await sign(rsa.privateKey, 'RS256', 'rsa'))).status).toBe(201)
      expect((await create(await sign(ec.privateKey, 'ES256', 'ec'))).status).toBe(201)
      expect((await create(await sign(stranger.privateKey, 'RS256', 'rsa'))).status).toBe(401)
      expect((await create(await sign(rsa.privateKey, 'RS256', 'rsa', 'https://evil.example'))).status).toBe(401)
    } finally {
      await server.stop()
      jwks.close()
    }
  })
})

describe('the file API', () => {
  it('lists the caller’s files newest first, in pages, and deletes one by its owner', async () => {
    const server = await startServerProcess({ ...(await prepareStore('disk')).env, FERRY_AUTH: 'jwt', FERRY_JWT_SECRET: SECRET, FERRY_PROCESSING: 'false' })
    const dave = `Bearer ${await hs256('dave')}`
    const erin = `Bearer ${await hs256('erin')}`
    const upload = async (authorization: string, name: string) => {
      const bytes = randomBytes(1000)
      const created = await fetch(`${server.url}/files/`, {
        method: 'POST',
        headers: { ...TUS, Authorization: authorization, 'Upload-Length': '1000', 'Upload-Metadata': encodeMetadata({ filename: name }) },
      })
      const url = new URL(created.headers.get('location') ?? '', server.url).href
      await fetch(url, { method: 'PATCH', headers: { ...TUS, Authorization: authorization, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', ...reprDigest(bytes) }, body: bytes })
      await new Promise((resolve) => setTimeout(resolve, 5)) // distinct finish times
      return url.split('/').at(-1) ?? ''
    }
    try {
      const ids = [await upload(dave, 'one'), await upload(dave, 'two'), await upload(dave, 'three')]
      await upload(erin, 'erin’s')
      const list = (query: string, authorization = dave) =>
        fetch(`${server.url}/api/files${query}`, { headers: { Authorization: authorization } }).then((response) => response.json())
      const first = await list('?limit=2')
      expect(first.files.map((file: { name: string }) => file.name)).toEqual(['three', 'two'])
      const second = await list(`?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`)
      expect(second.files.map((file: { name: string }) => file.name)).toEqual(['one'])
      expect(second.nextCursor).toBeUndefined()
      expect((await list('', erin)).files.map((file: { name: string }) => file.name)).toEqual(['erin’s'])
      expect((await fetch(`${server.url}/api/files?limit=0`, { headers: { Authorization: dave } })).status).toBe(400)

      expect((await fetch(`${server.url}/api/files/${ids[1]}`, { method: 'DELETE', headers: { Authorization: erin } })).status).toBe(404)
      expect((await fetch(`${server.url}/api/files/${ids[1]}`, { method: 'DELETE', headers: { Authorization: dave } })).status).toBe(204)
      expect((await list('')).files.map((file: { name: string }) => file.name)).toEqual(['three', 'one'])
      expect((await fetch(`${server.url}/files/${ids[1]}`, { headers: { Authorization: dave } })).status).toBe(404)
    } finally {
      await server.stop()
    }
  })
})
