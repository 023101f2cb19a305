import { randomBytes } from 'node:crypto'
import type { FileDescription } from '@ferry/protocol'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downloadQuery } from '../../server/src/downloads/downloadSignature.js'
import { downloadSigningKey } from '../../server/src/downloads/downloadSigningKey.js'
import { sha256, sha256OfResponse } from '../helpers/files.js'
import { bearerToken } from '../helpers/jwt.js'
import { noisyJpeg, uploadBytes, waitForManifest } from '../helpers/processing.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore, STORE_KINDS } from '../helpers/stores.js'
import { TUS } from '../helpers/tus.js'

const JWT_SECRET = 'a-shared-secret-of-at-least-32-characters!'
/** The key the server derives from its JWT secret, to sign URLs the way it does (past expiries, foreign owners). */
const DERIVED_KEY = downloadSigningKey({ jwtSecret: JWT_SECRET }) as Buffer

/** Uploads `bytes` as the holder of `authorization` (none: anonymous) and returns the description of the last PATCH. */
async function uploadAs(serverUrl: string, authorization: string | undefined, bytes: Uint8Array, name: string, type: string): Promise<FileDescription> {
  return (await uploadBytes(serverUrl, bytes, name, type, authorization ? { Authorization: authorization } : {})).body
}

/** The URL with one query parameter replaced. */
function withParam(url: string, name: string, value: string): string {
  const changed = new URL(url)
  changed.searchParams.set(name, value)
  return changed.href
}

/** A URL of `path` signed with the server's key, for any owner and expiry. */
function signedByHand(serverUrl: string, path: string, owner: string, expiresAt: number): string {
  return `${serverUrl}${path}?${downloadQuery(DERIVED_KEY, { path, owner, expiresAt })}`
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } }
  return { status: response.status, ...body.error }
}

describe.each(STORE_KINDS)('signed download URLs, %s store, FERRY_AUTH=jwt', (kind) => {
  let server: ServerProcess
  let alice: string
  let bob: string
  let jpeg: Buffer
  let photo: FileDescription
  let other: FileDescription
  let bobs: FileDescription
  // Around the photo's upload, whose answer signs its URL.
  let uploadedFrom: number
  let uploadedBy: number

  beforeAll(async () => {
    server = await startServerProcess({ ...(await prepareStore(kind)).env, FERRY_AUTH: 'jwt', FERRY_JWT_SECRET: JWT_SECRET, FERRY_LOG_LEVEL: 'info' })
    alice = await bearerToken(JWT_SECRET, 'alice')
    bob = await bearerToken(JWT_SECRET, 'bob')
    jpeg = await noisyJpeg(640, 480)
    uploadedFrom = Date.now()
    photo = await uploadAs(server.url, alice, jpeg, 'photo.jpg', 'image/jpeg')
    uploadedBy = Date.now()
    other = await uploadAs(server.url, alice, randomBytes(2000), 'other.bin', 'application/octet-stream')
    bobs = await uploadAs(server.url, bob, randomBytes(2000), 'bobs.bin', 'application/octet-stream')
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('gives the finished upload a signed URL that downloads the same bytes without a token', async () => {
    expect(photo.downloadUrl).toMatch(new RegExp(`^${server.url}/files/${photo.id}\\?owner=alice&expires=\\d+&signature=[\\w-]{43}$`))
    const expiresAt = Date.parse(photo.downloadUrlExpiresAt ?? '')
    // An hour after it was signed, in whole seconds.
    expect(expiresAt).toBeGreaterThanOrEqual(uploadedFrom + 3_599_000)
    expect(expiresAt).toBeLessThanOrEqual(uploadedBy + 3_601_000)
    expect(Number(new URL(photo.downloadUrl ?? '').searchParams.get('expires')) * 1000).toBe(expiresAt)

    const signed = await fetch(photo.downloadUrl ?? '', { headers: { Origin: 'https://app.example' } })
    expect(signed.status).toBe(200)
    const owners = await fetch(photo.url, { headers: { Authorization: alice } })
    expect(await sha256OfResponse(signed)).toBe(sha256(jpeg))
    expect(await sha256OfResponse(owners)).toBe(sha256(jpeg))
    for (const name of ['content-type', 'content-length', 'etag', 'cache-control', 'content-disposition', 'repr-digest']) {
      expect(signed.headers.get(name), name).toBe(owners.headers.get(name))
    }
    expect(signed.headers.get('content-type')).toBe('image/jpeg')
    expect(signed.headers.get('etag')).toBe(`"sha256-${sha256(jpeg)}"`)
    expect(signed.headers.get('cache-control')).toMatch(/^private, /)
    expect(signed.headers.get('access-control-allow-origin')).toBe('*')
    expect(signed.headers.get('access-control-expose-headers')).toContain('ETag')
  })

  it('serves ranges, conditional requests and HEAD of the signed URL', async () => {
    const url = photo.downloadUrl ?? ''
    const ranged = await fetch(url, { headers: { Range: 'bytes=100-1099' } })
    expect(ranged.status).toBe(206)
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-1099/${jpeg.length}`)
    expect(Buffer.from(await ranged.arrayBuffer()).equals(jpeg.subarray(100, 1100))).toBe(true)
    const tail = await fetch(url, { headers: { Range: 'bytes=-500' } })
    expect(Buffer.from(await tail.arrayBuffer()).equals(jpeg.subarray(jpeg.length - 500))).toBe(true)
    expect((await fetch(url, { headers: { 'If-None-Match': `"sha256-${sha256(jpeg)}"` } })).status).toBe(304)

    // HEAD is the download's, not the upload's (no tus offset or metadata for a URL holder).
    const head = await fetch(url, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(jpeg.length))
    expect(head.headers.get('etag')).toBe(`"sha256-${sha256(jpeg)}"`)
    expect(head.headers.get('content-type')).toBe('image/jpeg')
    expect(head.headers.get('upload-offset')).toBeNull()
    expect(head.headers.get('upload-metadata')).toBeNull()
    expect((await head.arrayBuffer()).byteLength).toBe(0)
  })

  it('refuses an expired URL with 403 signature-expired, minted short or signed in the past', async () => {
    const minted = await fetch(`${server.url}/api/files/${photo.id}/download-url?ttlSeconds=2`, { method: 'POST', headers: { Authorization: alice } })
    expect(minted.status).toBe(200)
    const { downloadUrl } = (await minted.json()) as { downloadUrl: string }
    expect((await fetch(downloadUrl)).status).toBe(200)
    // Signed for whole seconds: two of them end within three.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const late = await errorOf(await fetch(downloadUrl))
    expect(late).toMatchObject({ status: 403, code: 'signature-expired' })
    expect(late.message).toMatch(/^ferry-server: the URL expired at \d{4}-/)

    const past = signedByHand(server.url, `/files/${photo.id}`, 'alice', Math.floor(Date.now() / 1000) - 60)
    expect(await errorOf(await fetch(past))).toMatchObject({ status: 403, code: 'signature-expired' })
    expect((await fetch(past, { method: 'HEAD' })).status).toBe(403)
  })

  it('refuses a tampered URL and one moved to another file with 403 signature-invalid', async () => {
    const url = photo.downloadUrl ?? ''
    const signature = new URL(url).searchParams.get('signature') ?? ''
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`
    const refusals = [
      withParam(url, 'signature', flipped),
      withParam(url, 'owner', 'bob'),
      withParam(url, 'expires', String(Number(new URL(url).searchParams.get('expires')) + 3600)),
      withParam(url, 'signature', 'not base64url!'),
      `${url}&signature=${signature}`,
      url.replace(photo.id, other.id),
      url.replace(photo.id, bobs.id),
      url.replace(photo.id, 'a-file-that-never-was'),
      url.replace(`/files/${photo.id}`, `/api/files/${photo.id}/outputs/thumb_150.jpg`),
    ]
    for (const refused of refusals) {
      const answer = await errorOf(await fetch(refused))
      expect(answer, refused).toMatchObject({ status: 403, code: 'signature-invalid' })
    }
    // The refusals were logged without the signature they carried.
    expect(server.output()).toContain('signed download refused')
    expect(server.output()).not.toContain(signature)
    expect(server.output()).not.toContain(flipped)
  })

  it('authorizes nothing but GET and HEAD of its own path', async () => {
    const url = photo.downloadUrl ?? ''
    const query = new URL(url).search
    const octets = { ...TUS, 'Upload-Offset': String(jpeg.length), 'Content-Type': 'application/offset+octet-stream' }
    for (const [method, target, headers] of [
      ['PATCH', url, octets],
      ['DELETE', url, TUS],
      ['GET', `${server.url}/api/files/${photo.id}${query}`, {}],
      ['DELETE', `${server.url}/api/files/${photo.id}${query}`, {}],
      ['GET', `${server.url}/api/files/${photo.id}/events${query}`, {}],
      ['POST', `${server.url}/api/files/${photo.id}/download-url${query}`, {}],
      ['GET', `${server.url}/api/files${query}`, {}],
    ] as const) {
      const response = await fetch(target, { method, headers, ...(method === 'PATCH' ? { body: new Uint8Array(0) } : {}) })
      expect(response.status, `${method} ${target}`).toBe(401)
      await response.body?.cancel()
    }
    // Still there, whole.
    expect(await sha256OfResponse(await fetch(url))).toBe(sha256(jpeg))
  })

  it('binds the owner: a URL signed for Alice opens none of Bob’s files', async () => {
    const forAlice = signedByHand(server.url, `/files/${bobs.id}`, 'alice', Math.floor(Date.now() / 1000) + 60)
    const answer = await fetch(forAlice)
    expect(answer.status).toBe(404)
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('not-found')
    // The same signature for Bob, the owner, opens it.
    expect((await fetch(bobs.downloadUrl ?? '')).status).toBe(200)
  })

  it('answers a still valid URL of a deleted file 404, like its owner’s download', async () => {
    const doomed = await uploadAs(server.url, alice, randomBytes(1000), 'doomed.bin', 'application/octet-stream')
    expect((await fetch(doomed.downloadUrl ?? '')).status).toBe(200)
    expect((await fetch(`${server.url}/api/files/${doomed.id}`, { method: 'DELETE', headers: { Authorization: alice } })).status).toBe(204)
    const gone = await fetch(doomed.downloadUrl ?? '')
    expect(gone.status).toBe(404)
    expect((await fetch(doomed.url, { headers: { Authorization: alice } })).status).toBe(404)
    await gone.body?.cancel()
  })

  it('signs the outputs of processing, each for its own name', async () => {
    const manifest = await waitForManifest(server.url, photo.id, undefined, 60_000, { Authorization: alice })
    expect(manifest.state).toBe('done')
    const thumb = manifest.outputs.find((output) => output.name === 'thumb_150.jpg')
    expect(thumb?.downloadUrl).toMatch(new RegExp(`^${server.url}/api/files/${photo.id}/outputs/thumb_150\\.jpg\\?owner=alice&`))
    expect(Date.parse(thumb?.downloadUrlExpiresAt ?? '')).toBeGreaterThan(Date.now())
    const signed = await fetch(thumb?.downloadUrl ?? '')
    expect(signed.status).toBe(200)
    const bytes = Buffer.from(await signed.arrayBuffer())
    expect(bytes.length).toBe(thumb?.size)
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'jpeg', width: 150, height: 150 })
    const owners = await fetch(thumb?.url ?? '', { headers: { Authorization: alice } })
    expect(sha256(Buffer.from(await owners.arrayBuffer()))).toBe(sha256(bytes))
    // One user's output, never kept by a shared cache for anyone else, however it was asked for.
    for (const answer of [signed, owners]) expect(answer.headers.get('cache-control')).toBe('private, max-age=31536000, immutable')
    const head = await fetch(thumb?.downloadUrl ?? '', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(thumb?.size))
    // Another output's name, or the original's path, with this signature: refused.
    const moved = (thumb?.downloadUrl ?? '').replace('thumb_150.jpg', 'thumb_600.jpg')
    expect(await errorOf(await fetch(moved))).toMatchObject({ status: 403, code: 'signature-invalid' })
    // And the plain URL still wants a token.
    expect((await fetch(thumb?.url ?? '')).status).toBe(401)
  })

  it('mints a fresh URL for the owner only, within the configured lifetime, and lists signed URLs', async () => {
    const mint = (id: string, authorization: string, query = '') =>
      fetch(`${server.url}/api/files/${id}/download-url${query}`, { method: 'POST', headers: { Authorization: authorization } })
    const fresh = await mint(photo.id, alice, '?ttlSeconds=120')
    expect(fresh.status).toBe(200)
    expect(fresh.headers.get('cache-control')).toBe('no-store')
    const body = (await fresh.json()) as { downloadUrl: string; downloadUrlExpiresAt: string }
    expect(Date.parse(body.downloadUrlExpiresAt) - Date.now()).toBeGreaterThan(110_000)
    expect(Date.parse(body.downloadUrlExpiresAt) - Date.now()).toBeLessThanOrEqual(121_000)
    expect(await sha256OfResponse(await fetch(body.downloadUrl))).toBe(sha256(jpeg))

    const bobsAttempt = await mint(photo.id, bob)
    expect(bobsAttempt.status).toBe(404)
    expect(((await bobsAttempt.json()) as { error: { code: string } }).error.code).toBe('not-found')
    expect((await mint(photo.id, '')).status).toBe(401)
    for (const ttl of ['0', '3601', 'soon', '-1']) {
      const refused = await errorOf(await mint(photo.id, alice, `?ttlSeconds=${ttl}`))
      expect(refused, ttl).toMatchObject({ status: 400, code: 'invalid-query' })
      expect(refused.message).toContain(`ttlSeconds must be a whole number from 1 to 3600, got "${ttl}"`)
    }

    const listed = (await (await fetch(`${server.url}/api/files`, { headers: { Authorization: alice } })).json()) as { files: FileDescription[] }
    const listedPhoto = listed.files.find((file) => file.id === photo.id)
    expect(listedPhoto?.downloadUrl).toMatch(/signature=/)
    expect((await fetch(listedPhoto?.downloadUrl ?? '')).status).toBe(200)
    const described = (await (await fetch(`${server.url}/api/files/${photo.id}`, { headers: { Authorization: alice } })).json()) as FileDescription
    expect(await sha256OfResponse(await fetch(described.downloadUrl ?? ''))).toBe(sha256(jpeg))
  })
})

describe('signed download URL configuration', () => {
  it('refuses to start with a short secret or a bad lifetime, naming each', async () => {
    const env = { ...(await prepareStore('disk')).env, FERRY_AUTH: 'jwt', FERRY_JWT_SECRET: JWT_SECRET }
    const start = startServerProcess({ ...env, FERRY_DOWNLOAD_URL_SECRET: 'too-short', FERRY_DOWNLOAD_URL_TTL_SECONDS: '604801' })
    await expect(start).rejects.toThrow('FERRY_DOWNLOAD_URL_SECRET must be at least 32 characters (openssl rand -hex 32), got 9')
    await expect(start).rejects.toThrow('FERRY_DOWNLOAD_URL_TTL_SECONDS must be a whole number from 1 to 604800, got "604801"')
    await expect(startServerProcess({ ...env, FERRY_DOWNLOAD_URL_TTL_SECONDS: '0' })).rejects.toThrow(
      'FERRY_DOWNLOAD_URL_TTL_SECONDS must be a whole number from 1 to 604800, got "0"',
    )
  })

  it('signs with a secret of its own when one is set, and with none at all without a key', async () => {
    const secret = 'a-download-secret-that-is-32-chars-long'
    const withSecret = await startServerProcess({
      ...(await prepareStore('disk')).env,
      FERRY_AUTH: 'jwt',
      FERRY_JWT_SECRET: JWT_SECRET,
      FERRY_DOWNLOAD_URL_SECRET: secret,
      FERRY_DOWNLOAD_URL_TTL_SECONDS: '90',
      FERRY_PROCESSING: 'false',
      FERRY_LOG_LEVEL: 'info',
    })
    try {
      const alice = await bearerToken(JWT_SECRET, 'alice')
      const file = await uploadAs(withSecret.url, alice, randomBytes(500), 'a.bin', 'application/octet-stream')
      expect(Date.parse(file.downloadUrlExpiresAt ?? '') - Date.now()).toBeLessThanOrEqual(91_000)
      const url = new URL(file.downloadUrl ?? '')
      const path = `/files/${file.id}`
      const expiresAt = Number(url.searchParams.get('expires'))
      expect(url.search).toBe(`?${downloadQuery(Buffer.from(secret), { path, owner: 'alice', expiresAt })}`)
      expect(url.search).not.toBe(`?${downloadQuery(DERIVED_KEY, { path, owner: 'alice', expiresAt })}`)
      expect((await fetch(url)).status).toBe(200)
      expect(withSecret.output()).toContain('signed download URLs are on, signed with FERRY_DOWNLOAD_URL_SECRET')
    } finally {
      await withSecret.stop()
    }

    // Anonymous, without a secret: no signed URLs, and none needed.
    const anonymous = await startServerProcess({ ...(await prepareStore('disk')).env, FERRY_PROCESSING: 'false' })
    try {
      const file = await uploadAs(anonymous.url, undefined, randomBytes(500), 'b.bin', 'application/octet-stream')
      expect(file.downloadUrl).toBeUndefined()
      expect(file.downloadUrlExpiresAt).toBeUndefined()
      expect((await fetch(file.url)).status).toBe(200)
      const mint = await fetch(`${anonymous.url}/api/files/${file.id}/download-url`, { method: 'POST' })
      expect(await errorOf(mint)).toMatchObject({ status: 501, code: 'download-urls-off' })
    } finally {
      await anonymous.stop()
    }
  })
})
