import { randomBytes } from 'node:crypto'
import { access, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createUpload,
  patchInPieces,
  readAll,
  seededRandom,
  sha256,
  storedRecords,
  temporaryStore,
} from './encryptionTestKit.js'
import { cipherSizeOf, DEFAULT_RECORD_SIZE } from './format.js'

const R = DEFAULT_RECORD_SIZE
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function setUp(recordSize = R) {
  const temporary = await temporaryStore({ recordSize })
  cleanups.push(temporary.remove)
  return temporary
}

/** Fails when one nonce is ever used for two different records. */
function nonceLedger() {
  const recordOf = new Map<string, string>()
  let encryptions = 0
  return {
    async collect(file: string, recordSize: number) {
      for (const { nonce, record } of await storedRecords(file, recordSize)) {
        const seen = recordOf.get(nonce)
        if (seen === undefined) encryptions += 1
        expect(seen ?? record, `nonce ${nonce} reused for different records`).toBe(record)
        recordOf.set(nonce, record)
      }
    },
    get encryptions() {
      return encryptions
    },
  }
}

describe('EncryptedFileStore round trip', () => {
  const sizes = [0, 1, R - 1, R, R + 1, 5 * R + 7]

  it.each(sizes)('stores %i bytes sent in random PATCHes byte for byte', async (size) => {
    const { store, directory } = await setUp()
    const bytes = randomBytes(size)
    const id = await createUpload(store, size)
    const file = path.join(directory, id)
    const ledger = nonceLedger()
    const random = seededRandom(size + 1)
    const offsets: number[] = []
    await patchInPieces({
      store,
      id,
      bytes,
      random,
      // Up to half the file (2.5 records of the largest), so every file takes several PATCHes.
      largest: Math.max(2, Math.floor(size / 2)),
      afterPatch: async (offset) => {
        offsets.push(offset)
        expect((await store.getUpload(id)).offset).toBe(offset)
        await ledger.collect(file, R)
      },
    })
    const upload = await store.getUpload(id)
    expect(upload).toMatchObject({ id, size, offset: size })
    expect(sha256(await readAll(await store.readRange(id)))).toBe(sha256(bytes))
    expect(sha256(await readAll(store.read(id)))).toBe(sha256(bytes))
    // Complete: sealed with its final record, nothing left beside it.
    expect((await stat(file)).size).toBe(cipherSizeOf(size, R))
    await expect(access(`${file}.tail`)).rejects.toThrow()
    if (size > 1) expect(offsets.length).toBeGreaterThan(2)
  })

  it.each([
    ['records of 64 KiB, 15 to a write batch', R],
    ['records of 16 MiB, one to a write batch', 16 * 1024 * 1024],
  ])('stores one piece that fills several write batches (%s)', async (_name, recordSize) => {
    const { store, directory } = await setUp(recordSize)
    const size = recordSize === R ? 40 * R + 3 : 2 * recordSize + 3
    const bytes = randomBytes(size)
    const id = await createUpload(store, size)
    expect(await store.write(Readable.from([bytes]), id, 0)).toBe(size)
    const ledger = nonceLedger()
    await ledger.collect(path.join(directory, id), recordSize)
    expect(ledger.encryptions).toBe(Math.ceil(size / recordSize))
    expect(sha256(await readAll(store.read(id)))).toBe(sha256(bytes))
  })

  it('never reuses a nonce, across many rewrites of partial records', async () => {
    const { store, directory } = await setUp(1000)
    const bytes = randomBytes(100_000)
    const id = await createUpload(store, bytes.length)
    const ledger = nonceLedger()
    let tailWrites = 0
    await patchInPieces({
      store,
      id,
      bytes,
      random: seededRandom(7),
      largest: 2500,
      afterPatch: async (offset) => {
        if (offset % 1000 !== 0 && offset < bytes.length) tailWrites += 1
        await ledger.collect(path.join(directory, id), 1000)
      },
    })
    // Each of the 100 whole records once, the empty final record, and a new partial record for
    // every PATCH that ended inside one: each its own nonce.
    expect(tailWrites).toBeGreaterThan(50)
    expect(ledger.encryptions).toBe(100 + 1 + tailWrites)
    expect(sha256(await readAll(await store.readRange(id)))).toBe(sha256(bytes))
  })

  it('keeps no 32-byte run of the plaintext on disk, even of repetitive text', async () => {
    const { store, directory } = await setUp()
    const text = 'ferry uploads, encrypted at rest. '.repeat(10_000)
    const bytes = Buffer.from(text).subarray(0, 5 * R + 7)
    const id = await createUpload(store, bytes.length + 1000)
    await patchInPieces({ store, id, bytes, random: seededRandom(3), largest: 2 * R })
    const stored = Buffer.concat([
      await readFile(path.join(directory, id)),
      await readFile(path.join(directory, `${id}.tail`)),
    ])
    for (let at = 0; at + 32 <= bytes.length; at += 31) {
      expect(stored.indexOf(bytes.subarray(at, at + 32))).toBe(-1)
    }
  })

  it('reads every range exactly, on and off record boundaries', async () => {
    const { store } = await setUp()
    const size = 5 * R + 7
    const bytes = randomBytes(size)
    const id = await createUpload(store, size)
    await patchInPieces({ store, id, bytes, random: seededRandom(11), largest: 2 * R })
    const points = [0, 1, size - 2, size - 1]
    for (let k = 1; k <= 5; k += 1) points.push(k * R - 1, k * R, k * R + 1)
    for (const start of points) {
      for (const end of points.filter((point) => point >= start)) {
        const range = await readAll(await store.readRange(id, { start, end }))
        expect(range.equals(bytes.subarray(start, end + 1)), `bytes ${start}-${end}`).toBe(true)
      }
    }
  })

  it('reads every range of a small-record file, in progress and complete', async () => {
    const { store } = await setUp(16)
    const bytes = randomBytes(56)
    const id = await createUpload(store, 56)
    // 40 bytes: two whole records and a partial one beside them; then all 56, sealed.
    for (const [from, to] of [[0, 40], [40, 56]] as const) {
      await store.write(readable(bytes.subarray(from, to)), id, from)
      for (let start = 0; start < to; start += 1) {
        for (let end = start; end < to; end += 1) {
          const range = await readAll(await store.readRange(id, { start, end }))
          const expected = bytes.subarray(start, end + 1)
          expect(range.equals(expected), `bytes ${start}-${end} of ${to}`).toBe(true)
        }
      }
    }
  })

  it('takes a deferred length and seals when it is reached', async () => {
    const { store, directory } = await setUp()
    const bytes = randomBytes(R + 10)
    const id = await createUpload(store, undefined)
    await patchInPieces({ store, id, bytes, random: seededRandom(5), largest: R })
    expect((await store.getUpload(id)).size).toBeUndefined()
    await store.declareUploadLength(id, bytes.length)
    expect(await store.write(readable(Buffer.alloc(0)), id, bytes.length)).toBe(bytes.length)
    expect((await stat(path.join(directory, id))).size).toBe(cipherSizeOf(bytes.length, R))
    expect(await store.getUpload(id)).toMatchObject({ size: bytes.length, offset: bytes.length })
    expect(sha256(await readAll(await store.readRange(id)))).toBe(sha256(bytes))
  })
})

function readable(bytes: Buffer) {
  return Readable.from([bytes])
}
