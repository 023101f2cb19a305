import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256, sha256OfResponse } from '../helpers/files.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore, STORE_KINDS } from '../helpers/stores.js'
import { encodeMetadata, headOffset, patch, reprDigest, TUS } from '../helpers/tus.js'

const MIB = 1024 * 1024

async function createPartial(endpoint: string, size: number): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { ...TUS, 'Upload-Length': String(size), 'Upload-Concat': 'partial' },
  })
  expect(response.status).toBe(201)
  return new URL(response.headers.get('location') ?? '', endpoint).href
}

function createFinal(endpoint: string, partials: string[], headers: Record<string, string> = {}) {
  return fetch(endpoint, {
    method: 'POST',
    headers: {
      ...TUS,
      'Upload-Concat': `final;${partials.map((url) => new URL(url).pathname).join(' ')}`,
      'Upload-Metadata': encodeMetadata({ filename: 'joined.bin', filetype: 'application/octet-stream' }),
      ...headers,
    },
  })
}

describe.each(STORE_KINDS)('tus concatenation on the %s store', (kind) => {
  let server: ServerProcess
  let endpoint: string
  let listAllButCheckpoints: () => Promise<string[]>
  beforeAll(async () => {
    const store = await prepareStore(kind)
    listAllButCheckpoints = store.listAllButCheckpoints
    server = await startServerProcess({ ...store.env, FERRY_PROCESSING: 'false' })
    endpoint = `${server.url}/files/`
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('advertises the extension', async () => {
    const options = await fetch(endpoint, { method: 'OPTIONS' })
    expect(options.headers.get('tus-extension')?.split(',')).toEqual(
      expect.arrayContaining(['concatenation', 'concatenation-unfinished']),
    )
  })

  it('joins finished partial uploads into a verified final upload', async () => {
    const parts = [randomBytes(6 * MIB + 17), randomBytes(5 * MIB), randomBytes(1024)]
    const whole = Buffer.concat(parts)
    const urls: string[] = []
    for (const part of parts) {
      const url = await createPartial(endpoint, part.length)
      expect((await patch(url, 0, part)).status).toBe(204)
      const head = await fetch(url, { method: 'HEAD', headers: TUS })
      expect(head.headers.get('upload-concat')).toBe('partial')
      expect((await fetch(url)).status).toBe(404) // a partial upload is not a file
      urls.push(url)
    }
    const response = await createFinal(endpoint, urls, reprDigest(whole))
    expect(response.status, await response.clone().text()).toBe(201)
    const file = await response.json()
    expect(file).toMatchObject({ size: whole.length, sha256: sha256(whole), state: 'verified', name: 'joined.bin' })
    const finalUrl = new URL(response.headers.get('location') ?? '', endpoint).href
    expect(file.url).toBe(finalUrl)
    expect(await sha256OfResponse(await fetch(finalUrl))).toBe(sha256(whole))

    const head = await fetch(finalUrl, { method: 'HEAD', headers: TUS })
    expect(head.headers.get('upload-concat')).toMatch(/^final;\/files\/\w+ \/files\/\w+ \/files\/\w+$/)
    expect((await patch(finalUrl, whole.length, new Uint8Array(0))).status).toBe(403)
    // Once joined, a partial's bytes are gone; it still answers HEAD as complete, so a client
    // that lost the final's answer does not upload it again, and takes no more bytes.
    for (const [index, url] of urls.entries()) {
      const joined = await fetch(url, { method: 'HEAD', headers: TUS })
      expect(joined.status).toBe(200)
      expect(joined.headers.get('upload-offset')).toBe(String(parts[index]?.length))
      expect(joined.headers.get('upload-length')).toBe(String(parts[index]?.length))
      expect(joined.headers.get('upload-concat')).toBe('partial')
      expect((await patch(url, parts[index]?.length ?? 0, new Uint8Array(1))).status).toBe(404)
    }
    // The creation sent again: the same final upload and description, not a second file.
    const before = await listAllButCheckpoints()
    const again = await createFinal(endpoint, urls, reprDigest(whole))
    expect(again.status, await again.clone().text()).toBe(201)
    expect(again.headers.get('location')).toBe(response.headers.get('location'))
    expect(await again.json()).toMatchObject({ id: file.id, sha256: sha256(whole), state: 'verified' })
    expect(await listAllButCheckpoints()).toEqual(before)
    // With another digest it is refused, as a late mismatch is, and the file stays as it was.
    const lying = await createFinal(endpoint, urls, reprDigest(randomBytes(8)))
    expect(lying.status).toBe(422)
    expect(await sha256OfResponse(await fetch(finalUrl))).toBe(sha256(whole))
    // Once the final is deleted, its partials are gone as well, markers included.
    expect((await fetch(finalUrl, { method: 'DELETE', headers: TUS })).status).toBe(204)
    for (const url of urls) expect((await fetch(url, { method: 'HEAD', headers: TUS })).status).toBe(404)
    const partialIds = urls.map((url) => url.split('/').at(-1) ?? '')
    expect((await listAllButCheckpoints()).filter((key) => partialIds.some((id) => key.includes(id)))).toEqual([])
  })

  it('answers the same creation sent twice at once with one final upload, finished once', async () => {
    const parts = [randomBytes(8 * MIB), randomBytes(8 * MIB + 3)]
    const whole = Buffer.concat(parts)
    const urls: string[] = []
    for (const part of parts) {
      const url = await createPartial(endpoint, part.length)
      expect((await patch(url, 0, part)).status).toBe(204)
      urls.push(url)
    }
    const before = await listAllButCheckpoints()
    // The second arrives while the first assembles: it waits, then gets what the first made.
    const [first, second] = await Promise.all([createFinal(endpoint, urls, reprDigest(whole)), createFinal(endpoint, urls, reprDigest(whole))])
    expect([first.status, second.status], await second.clone().text()).toEqual([201, 201])
    expect(second.headers.get('location')).toBe(first.headers.get('location'))
    const [one, two] = [await first.json(), await second.json()]
    expect(two).toEqual(one)
    expect(one).toMatchObject({ state: 'verified', sha256: sha256(whole) })
    const finalId = String(one.id)
    // One final's objects were added, and its description lists it once.
    const added = (await listAllButCheckpoints()).filter((key) => !before.includes(key) && !key.includes('concat/joined/'))
    expect(added.filter((key) => /[0-9a-f]{32}/.exec(key)?.[0] !== undefined && !key.includes(finalId))).toEqual([])
    expect(await sha256OfResponse(await fetch(new URL(first.headers.get('location') ?? '').href))).toBe(sha256(whole))
  })

  it('accepts a final upload declared before its partials finish', async () => {
    const parts = [randomBytes(2 * MIB), randomBytes(3 * MIB + 5)]
    const whole = Buffer.concat(parts)
    const urls = [await createPartial(endpoint, parts[0]?.length ?? 0), await createPartial(endpoint, parts[1]?.length ?? 0)]
    expect((await patch(urls[0] ?? '', 0, parts[0] ?? new Uint8Array())).status).toBe(204)
    const response = await createFinal(endpoint, urls, reprDigest(whole))
    expect(response.status).toBe(201)
    const finalUrl = new URL(response.headers.get('location') ?? '', endpoint).href
    expect((await fetch(finalUrl)).status).toBe(404) // not complete yet
    // The spec: no Upload-Offset for a final upload before it is assembled; its length is known.
    const early = await fetch(finalUrl, { method: 'HEAD', headers: TUS })
    expect(early.headers.get('upload-offset')).toBeNull()
    expect(early.headers.get('upload-length')).toBe(String(whole.length))

    expect((await patch(urls[1] ?? '', 0, parts[1] ?? new Uint8Array())).status).toBe(204)
    expect(await headOffset(finalUrl)).toBe(whole.length)
    const download = await fetch(finalUrl)
    expect(download.status).toBe(200)
    expect(await sha256OfResponse(download)).toBe(sha256(whole))
    const record = await (await fetch(`${server.url}/api/files/${finalUrl.split('/').at(-1)}`)).json()
    expect(record).toMatchObject({ state: 'verified', sha256: sha256(whole) })
  })

  it('quarantines a final upload whose bytes do not match the digest', async () => {
    const part = randomBytes(MIB)
    const url = await createPartial(endpoint, part.length)
    await patch(url, 0, part)
    const response = await createFinal(endpoint, [url], reprDigest(randomBytes(8)))
    expect(response.status).toBe(422)
    expect((await response.json()).error.code).toBe('digest-mismatch')
  })

  it('refuses finals of unknown or non-partial uploads', async () => {
    const unknown = await createFinal(endpoint, [`${endpoint}0123456789abcdef0123456789abcdef`])
    expect(unknown.status).toBe(404)
    const plain = await fetch(endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': '10' } })
    const plainUrl = new URL(plain.headers.get('location') ?? '', endpoint).href
    const notPartial = await createFinal(endpoint, [plainUrl])
    expect(notPartial.status).toBe(400)
    expect((await notPartial.json()).error.code).toBe('concat-invalid')
    const malformed = await fetch(endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Concat': 'final;' } })
    expect(malformed.status).toBe(400)
  })

  it('refuses a final’s malformed Upload-Metadata with 400, as a plain creation’s, and creates nothing', async () => {
    const part = randomBytes(100)
    const url = await createPartial(endpoint, part.length)
    expect((await patch(url, 0, part)).status).toBe(204)
    const name = Buffer.from('a.bin').toString('base64')
    for (const metadata of [`filename ${name.replace(/=+$/, '')}`, `filename ${name},filename ${name}`, `filename ${name} extra`, 'filename a*b']) {
      const plain = await fetch(endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': '10', 'Upload-Metadata': metadata } })
      expect(plain.status, metadata).toBe(400)
      const before = await listAllButCheckpoints()
      const final = await createFinal(endpoint, [url], { 'Upload-Metadata': metadata })
      expect(final.status, metadata).toBe(400)
      expect((await final.json()).error.code).toBe('invalid-metadata')
      expect(await listAllButCheckpoints()).toEqual(before)
    }
    // The partial is still free to join a final with well-formed metadata.
    const accepted = await createFinal(endpoint, [url], { 'Upload-Metadata': `filename ${name},note` })
    expect(accepted.status).toBe(201)
  })

  it('lets a partial upload join one final upload only (409 for a second)', async () => {
    const part = randomBytes(1000)
    const url = await createPartial(endpoint, part.length + 1000)
    expect((await patch(url, 0, part)).status).toBe(204)
    const other = await createPartial(endpoint, 10)
    const first = await createFinal(endpoint, [url])
    expect(first.status).toBe(201)
    const second = await createFinal(endpoint, [url, other])
    expect(second.status).toBe(409)
    expect((await second.json()).error.code).toBe('concat-invalid')
    // The same creation sent again (its answer lost) is the same final upload, not a 409; one
    // that claims a digest the first did not is refused.
    const again = await createFinal(endpoint, [url])
    expect(again.status).toBe(201)
    expect(again.headers.get('location')).toBe(first.headers.get('location'))
    const otherDigest = await createFinal(endpoint, [url], reprDigest(randomBytes(8)))
    expect(otherDigest.status).toBe(409)
    // The first final still completes once the partial does.
    const rest = randomBytes(1000)
    expect((await patch(url, part.length, rest)).status).toBe(204)
    const finalUrl = new URL(first.headers.get('location') ?? '', endpoint).href
    await expect.poll(() => headOffset(finalUrl)).toBe(2000)
  })

  it('refuses a final that names a partial twice (400) or carries a malformed digest (400), and creates nothing', async () => {
    const part = randomBytes(1024)
    const url = await createPartial(endpoint, part.length)
    expect((await patch(url, 0, part)).status).toBe(204)
    const before = await listAllButCheckpoints()
    const twice = await createFinal(endpoint, [url, url])
    expect(twice.status).toBe(400)
    expect((await twice.json()).error.code).toBe('concat-invalid')
    const malformed = await createFinal(endpoint, [url], { 'Repr-Digest': 'sha-256=:bm90IGEgZGlnZXN0:' })
    expect(malformed.status).toBe(400)
    expect((await malformed.json()).error.code).toBe('digest-invalid')
    expect(await listAllButCheckpoints()).toEqual(before)
    // The partial is still free to join a final.
    const final = await createFinal(endpoint, [url], reprDigest(part))
    expect(final.status, await final.clone().text()).toBe(201)
  })

  it('lets only one of two finals created at once claim a shared partial', async () => {
    const parts = [randomBytes(512), randomBytes(512), randomBytes(512)]
    const urls = await Promise.all(parts.map((part) => createPartial(endpoint, part.length)))
    // Declared before the partials finish, so both creations only check and claim.
    const [first, second] = await Promise.all([createFinal(endpoint, [urls[0]!, urls[1]!]), createFinal(endpoint, [urls[2]!, urls[1]!])])
    expect([first.status, second.status].sort()).toEqual([201, 409])
  })

  it('forgets a deleted final: its partials may join another; a final whose partial is deleted goes with it', async () => {
    const parts = [randomBytes(512), randomBytes(512)]
    const urls = await Promise.all(parts.map((part) => createPartial(endpoint, part.length)))
    const abandoned = await createFinal(endpoint, urls)
    expect(abandoned.status).toBe(201)
    const abandonedUrl = new URL(abandoned.headers.get('location') ?? '', endpoint).href
    expect((await fetch(abandonedUrl, { method: 'DELETE', headers: TUS })).status).toBe(204)
    const joined = await createFinal(endpoint, urls, reprDigest(Buffer.concat(parts)))
    expect(joined.status, await joined.clone().text()).toBe(201)
    const joinedUrl = new URL(joined.headers.get('location') ?? '', endpoint).href

    expect((await fetch(urls[1]!, { method: 'DELETE', headers: TUS })).status).toBe(204)
    expect((await fetch(joinedUrl, { method: 'HEAD', headers: TUS })).status).toBe(404)
    // The remaining partial finishes and joins nothing; it may join a new final.
    expect((await patch(urls[0]!, 0, parts[0]!)).status).toBe(204)
    const alone = await createFinal(endpoint, [urls[0]!], reprDigest(parts[0]!))
    expect(alone.status, await alone.clone().text()).toBe(201)
    expect((await alone.json()).state).toBe('verified')
  })

  it('refuses a body on an upload declared empty (413) and creates nothing', async () => {
    const before = await listAllButCheckpoints()
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { ...TUS, 'Upload-Length': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: randomBytes(100),
    })
    expect(response.status).toBe(413)
    expect(response.headers.get('location')).toBeNull()
    expect(await listAllButCheckpoints()).toEqual(before)
  })
})
