import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { ERRORS } from '@tus/utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../../app.js'
import { createLogger } from '../../logger.js'
import { createDiskBackend } from '../diskBackend.js'
import type { StorageBackend } from '../types.js'
import { createEncryptedObjectStore } from './createEncryptedObjectStore.js'
import { EncryptedFileStore } from './EncryptedFileStore.js'
import { createUpload, readAll, TEST_KEY } from './encryptionTestKit.js'
import { cipherSizeOf, HEADER_SIZE } from './format.js'

const R = 1000
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** The disk backend with uploads and derived files encrypted, as an integrator would plug it. */
async function encryptedBackend() {
  const directory = await mkdtemp(path.join(tmpdir(), 'ferry-encrypted-backend-'))
  cleanups.push(() => rm(directory, { recursive: true, force: true }))
  const disk = createDiskBackend({ directory })
  await disk.prepare()
  const options = { key: TEST_KEY, recordSize: R }
  const uploads = path.join(directory, 'uploads')
  const datastore = new EncryptedFileStore({ directory: uploads, ...options })
  const objects = createEncryptedObjectStore({
    uploads: datastore,
    objects: disk.objects,
    ...options,
  })
  const backend: StorageBackend = { ...disk, datastore, objects }
  return { backend, directory, datastore }
}

const typed = (code: string) => expect.objectContaining({ name: 'EncryptionError', code })

describe('createEncryptedObjectStore', () => {
  it('reads uploads through their store, whole and in ranges', async () => {
    const { backend, datastore, directory } = await encryptedBackend()
    const bytes = randomBytes(3 * R + 17)
    const id = await createUpload(datastore, bytes.length)
    await datastore.write(Readable.from([bytes]), id, 0)
    expect((await readAll(await backend.objects.read(backend.keyOf(id)))).equals(bytes)).toBe(true)
    for (const [start, end] of [[0, 0], [R - 1, R], [999, 2500], [3 * R, 3 * R + 16]] as const) {
      const range = await readAll(await backend.objects.read(backend.keyOf(id), { start, end }))
      expect(range.equals(bytes.subarray(start, end + 1))).toBe(true)
    }
    await expect(backend.objects.read(backend.keyOf('missing'))).rejects.toBe(ERRORS.FILE_NOT_FOUND)
    // Deleting an unfinished upload's object takes its partial record with it.
    const unfinished = await createUpload(datastore, 2 * R)
    await datastore.write(Readable.from([bytes.subarray(0, 10)]), unfinished, 0)
    await backend.objects.delete(backend.keyOf(unfinished))
    const files = await readdir(path.join(directory, 'uploads'))
    expect(files.filter((name) => name.startsWith(unfinished))).toEqual([`${unfinished}.json`])
    await expect(backend.objects.read('derived/missing.jpg')).rejects.toBe(ERRORS.FILE_NOT_FOUND)
  })

  it('reads the first bytes of an unfinished upload, as the content sniff does', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'ferry-encrypted-unfinished-'))
    cleanups.push(() => rm(directory, { recursive: true, force: true }))
    const backend = createDiskBackend({ directory, encryptionKey: TEST_KEY })
    await backend.prepare()
    const id = await createUpload(backend.datastore as EncryptedFileStore, 10_000)
    const first = randomBytes(700)
    await backend.datastore.write(Readable.from([first.subarray(0, 1)]), id, 0)
    await backend.datastore.write(Readable.from([first.subarray(1)]), id, 1)
    expect(Buffer.from(await backend.readUnfinishedHead(id, 700)).equals(first)).toBe(true)
    expect(Buffer.from(await backend.readUnfinishedHead(id, 5)).equals(first.subarray(0, 5))).toBe(true)
    expect((await backend.datastore.getUpload(id)).offset).toBe(700)
  })

  it('encrypts derived files, and reads them back whole and in ranges', async () => {
    const { backend, directory } = await encryptedBackend()
    for (const size of [0, 1, R, 2 * R + 5]) {
      const bytes = Buffer.from('a thumbnail, in plain words. '.repeat(200)).subarray(0, size)
      const key = backend.derivedKeyOf(`file${size}`, '_thumb_300', '.jpg')
      await backend.objects.write(key, bytes, { contentType: 'image/jpeg' })
      const stored = await readFile(path.join(directory, key))
      expect(stored.length).toBe(cipherSizeOf(size, R))
      if (size >= 32) expect(stored.indexOf(bytes.subarray(0, 32))).toBe(-1)
      expect((await readAll(await backend.objects.read(key))).equals(bytes)).toBe(true)
      if (size > 0) {
        const lastByte = { start: size - 1, end: size - 1 }
        const last = await readAll(await backend.objects.read(key, lastByte))
        expect(last.equals(bytes.subarray(-1))).toBe(true)
      }
    }
  })

  it('refuses a derived file cut on a record boundary, moved, or stored in plain', async () => {
    const { backend, directory } = await encryptedBackend()
    const key = backend.derivedKeyOf('cut', '_preview', '.webp')
    await backend.objects.write(key, randomBytes(2 * R + 5), { contentType: 'image/webp' })
    const file = path.join(directory, key)
    await truncate(file, HEADER_SIZE + 2 * (R + 28))
    await expect(readAll(await backend.objects.read(key))).rejects.toEqual(typed('truncated'))

    const moved = backend.derivedKeyOf('moved', '_preview', '.webp')
    await backend.objects.write(key, randomBytes(10), { contentType: 'image/webp' })
    await writeFile(path.join(directory, moved), await readFile(file))
    await expect(backend.objects.read(moved)).rejects.toEqual(typed('key-mismatch'))
    const range = { start: 0, end: 1 }
    await expect(backend.objects.read(moved, range)).rejects.toEqual(typed('key-mismatch'))

    await writeFile(file, 'a thumbnail written before encryption was on')
    await expect(backend.objects.read(key)).rejects.toEqual(typed('not-encrypted'))
  })

  it('serves Range and ETag downloads unchanged through the app', async () => {
    const { backend } = await encryptedBackend()
    const app = createApp({
      config: { corsOrigins: '*', maxSize: 0, requireDigest: false, trustProxy: false },
      backend,
      logger: createLogger('silent'),
    })
    const bytes = randomBytes(5 * R + 7)
    const tus = { 'Tus-Resumable': '1.0.0' }
    const metadata = `filename ${Buffer.from('secret.bin').toString('base64')}`
    const created = await app.request('/files', {
      method: 'POST',
      headers: { ...tus, 'Upload-Length': `${bytes.length}`, 'Upload-Metadata': metadata },
    })
    expect(created.status).toBe(201)
    const url = new URL(created.headers.get('location') ?? '', 'http://localhost').pathname
    const pieces = [[0, 1500], [1500, 1501], [1501, 4321], [4321, bytes.length]] as const
    for (const [start, end] of pieces) {
      const patched = await app.request(url, {
        method: 'PATCH',
        headers: {
          ...tus,
          'Upload-Offset': String(start),
          'Content-Type': 'application/offset+octet-stream',
        },
        body: bytes.subarray(start, end),
      })
      expect(patched.status, await patched.clone().text()).toBeLessThan(300)
      const head = await app.request(url, { method: 'HEAD', headers: tus })
      expect(head.headers.get('upload-offset')).toBe(String(end))
    }
    const whole = await app.request(url)
    expect(whole.status).toBe(200)
    const etag = whole.headers.get('etag')
    const sha = createHash('sha256').update(bytes).digest('hex')
    expect(etag).toBe(`"sha256-${sha}"`)
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true)
    const ranged = await app.request(url, { headers: { Range: 'bytes=999-2001' } })
    expect(ranged.status).toBe(206)
    expect(ranged.headers.get('content-range')).toBe(`bytes 999-2001/${bytes.length}`)
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(999, 2002))).toBe(true)
    const last = await app.request(url, { headers: { Range: 'bytes=-1' } })
    expect(Buffer.from(await last.arrayBuffer()).equals(bytes.subarray(-1))).toBe(true)
    expect((await app.request(url, { headers: { 'If-None-Match': etag ?? '' } })).status).toBe(304)
  })
})
