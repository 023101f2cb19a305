import { link, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDiskBackend } from '../storage/diskBackend.js'
import type { FileRecord, StorageBackend } from '../storage/types.js'
import { createDiskPromoter } from './createDiskPromoter.js'
import { createPromotion, type Promotion } from './createPromotion.js'
import { defaultPromotionPolicy } from './types.js'

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f3a7a50000000049454e44ae426082',
  'hex',
)
const logger = pino({ level: 'silent' })

/** The promotion on a real disk store, with an upload's bytes put where the tus store keeps them. */
describe('createPromotion on the disk store', () => {
  let directory: string
  let backend: StorageBackend
  let promotion: Promotion

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'ferry-promotion-'))
    backend = createDiskBackend({ directory })
    await backend.prepare()
    const promoter = createDiskPromoter({
      directory,
      documents: backend.documents,
      encrypted: false,
      logger,
    })
    promotion = createPromotion({ backend, policy: defaultPromotionPolicy, promoter, logger })
  })
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true })
  })

  async function storedUpload(
    id: string,
    bytes: Buffer,
    overrides: Partial<FileRecord> = {},
  ): Promise<FileRecord> {
    await writeFile(path.join(directory, 'uploads', id), bytes)
    const record: FileRecord = {
      id,
      key: backend.keyOf(id),
      size: bytes.length,
      sha256: 'a'.repeat(64),
      type: 'application/pdf',
      name: 'pixel.png',
      owner: 'auth0|alice',
      state: 'verified',
      finishedAt: '2026-11-28T23:59:59.999Z',
      ...overrides,
    }
    await backend.records.put(record)
    return record
  }

  it('links the bytes under the canonical key, with a sidecar, and saves the record', async () => {
    const record = await storedUpload('0123abcd', PNG)
    const promoted = await promotion.promote(record)
    expect(promoted.key).toBe('uploads/auth0%7Calice/images/2026/11/28/0123abcd.png')
    expect(promoted.promoted).toMatchObject({
      contentType: 'image/png',
      cacheControl: 'max-age=31536000, immutable',
    })
    expect(await backend.records.get('0123abcd')).toEqual(promoted)

    const [original, canonical] = await Promise.all([
      stat(path.join(directory, 'uploads', '0123abcd')),
      stat(path.join(directory, promoted.key)),
    ])
    expect(canonical.ino).toBe(original.ino) // a hard link: no byte was copied
    expect(canonical.nlink).toBe(2)
    const sidecar = JSON.parse(await readFile(path.join(directory, `${promoted.key}.json`), 'utf8'))
    expect(sidecar).toMatchObject({
      key: promoted.key,
      contentLength: PNG.length,
      contentType: 'image/png',
      userMetadata: {
        'original-name': 'pixel.png',
        uploader: 'auth0|alice',
        sha256: 'a'.repeat(64),
        'upload-id': '0123abcd',
      },
    })
  })

  it('is idempotent, and leaves quarantined and rejected files alone', async () => {
    const record = await storedUpload('0123abcd', PNG)
    const first = await promotion.promote(record)
    expect(await promotion.promote(first)).toEqual(first)
    // A second finish that raced the first and still holds the unpromoted record gets the same key.
    expect((await promotion.promote(record)).key).toBe(first.key)

    for (const state of ['quarantined', 'rejected'] as const) {
      const other = await storedUpload(`${state}1`, PNG, { state })
      expect(await promotion.promote(other)).toEqual(other)
    }
  })

  it('fails with 503 promotion-failed and keeps the upload; a retry promotes', async () => {
    const record = await storedUpload('0123abcd', PNG)
    // A file where the category folder belongs makes the link fail for real.
    await mkdir(path.join(directory, 'uploads', 'auth0%7Calice'), { recursive: true })
    await writeFile(path.join(directory, 'uploads', 'auth0%7Calice', 'images'), 'in the way')
    await expect(promotion.promote(record)).rejects.toMatchObject({
      status: 503,
      code: 'promotion-failed',
    })
    expect(await backend.records.get('0123abcd')).toEqual(record)
    expect(await readFile(path.join(directory, 'uploads', '0123abcd'))).toEqual(PNG)

    await rm(path.join(directory, 'uploads', 'auth0%7Calice', 'images'))
    expect((await promotion.promote(record)).promoted?.contentType).toBe('image/png')
  })

  it('removes the object, its sidecar and the folders left empty', async () => {
    const record = await storedUpload('0123abcd', PNG)
    const sibling = await promotion.promote(await storedUpload('4567cdef', PNG))
    const promoted = await promotion.promote(record)
    await promotion.remove(promoted)
    await expect(stat(path.join(directory, promoted.key))).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(stat(path.join(directory, `${promoted.key}.json`))).rejects.toMatchObject({
      code: 'ENOENT',
    })
    expect((await stat(path.join(directory, sibling.key))).isFile()).toBe(true)
    await promotion.remove(sibling)
    await expect(stat(path.join(directory, 'uploads', 'auth0%7Calice'))).rejects.toMatchObject({
      code: 'ENOENT',
    })
    expect((await stat(path.join(directory, 'uploads', '0123abcd'))).isFile()).toBe(true)
  })

  it('keeps the declared type of bytes with no signature, without confirming it by an extension', async () => {
    const promoted = await promotion.promote(
      await storedUpload('89abcdef', Buffer.from('just words'), { type: 'image/png' }),
    )
    expect(promoted.key).toBe('uploads/auth0%7Calice/images/2026/11/28/89abcdef')
    expect(promoted.promoted?.contentType).toBe('image/png')
    const text = await promotion.promote(
      await storedUpload('fedcba98', Buffer.from('a,b\n1,2\n'), { type: 'text/csv' }),
    )
    expect(text.key).toBe('uploads/auth0%7Calice/documents/2026/11/28/fedcba98.csv')
  })

  it('promotes an empty file', async () => {
    const promoted = await promotion.promote(
      await storedUpload('00000000', Buffer.alloc(0), { type: 'text/plain' }),
    )
    expect(promoted.key).toBe('uploads/auth0%7Calice/documents/2026/11/28/00000000.txt')
    expect((await stat(path.join(directory, promoted.key))).size).toBe(0)
  })

  it('replaces whatever a crash left at the canonical path', async () => {
    const record = await storedUpload('0123abcd', PNG)
    const key = 'uploads/auth0%7Calice/images/2026/11/28/0123abcd.png'
    await mkdir(path.dirname(path.join(directory, key)), { recursive: true })
    await writeFile(path.join(directory, key), 'stale')
    await promotion.promote(record)
    expect(await readFile(path.join(directory, key))).toEqual(PNG)
    // Linking over the same inode twice is fine too.
    await link(path.join(directory, key), path.join(directory, `${key}.extra`))
    expect((await promotion.promote(record)).key).toBe(key)
  })
})
