import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { Upload } from '@tus/utils'
import { EncryptedFileStore, type EncryptedFileStoreOptions } from './EncryptedFileStore.js'
import { HEADER_SIZE, NONCE_SIZE, RECORD_OVERHEAD } from './format.js'

export const TEST_KEY = Buffer.from('7f'.repeat(16) + '3c'.repeat(16), 'hex')

/** A store in a fresh temporary folder; `remove` deletes the folder. */
export async function temporaryStore(options: Partial<EncryptedFileStoreOptions> = {}) {
  const directory = await mkdtemp(path.join(tmpdir(), 'ferry-encryption-'))
  const store = new EncryptedFileStore({ directory, key: TEST_KEY, ...options })
  return { directory, store, remove: () => rm(directory, { recursive: true, force: true }) }
}

/** A deterministic generator (mulberry32), so a failing split can be replayed. */
export function seededRandom(seed: number): (below: number) => number {
  let state = seed >>> 0
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below)
  }
}

export async function createUpload(
  store: EncryptedFileStore,
  size: number | undefined,
): Promise<string> {
  const id = randomBytes(8).toString('hex')
  const creation_date = new Date().toISOString()
  await store.create(new Upload({ id, size, offset: 0, metadata: {}, creation_date }))
  return id
}

/** A PATCH body that arrives as several network-sized chunks. */
export function body(bytes: Buffer, random: (below: number) => number): Readable {
  const chunks: Buffer[] = []
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + random(20_000)
    chunks.push(bytes.subarray(at, at + size))
    at += size
  }
  return Readable.from(chunks)
}

/** Sends `bytes` in PATCHes of random sizes, from tiny to several records; calls `afterPatch`. */
export async function patchInPieces(options: {
  store: EncryptedFileStore
  id: string
  bytes: Buffer
  random: (below: number) => number
  largest: number
  afterPatch?: (offset: number) => Promise<void>
}): Promise<number> {
  const { store, id, bytes, random, largest } = options
  let offset = (await store.getUpload(id)).offset
  while (offset < bytes.length) {
    // Half the pieces are small (inside one record), half up to `largest` (spanning several).
    const size = 1 + (random(2) === 0 ? random(300) : random(largest))
    const piece = bytes.subarray(offset, offset + size)
    offset = await store.write(body(piece, random), id, offset)
    await options.afterPatch?.(offset)
  }
  return offset
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Every record stored for an upload right now, as nonce and whole record: the whole records of
 * `<id>` (and its final one) and the partial record in `<id>.tail`.
 */
export async function storedRecords(file: string, recordSize: number) {
  const records: Array<{ nonce: string; record: string }> = []
  const add = (record: Buffer) =>
    records.push({ nonce: record.subarray(0, NONCE_SIZE).toString('hex'), record: sha256(record) })
  const contents = await readFile(file)
  for (let at = HEADER_SIZE; at < contents.length; at += recordSize + RECORD_OVERHEAD) {
    add(contents.subarray(at, at + recordSize + RECORD_OVERHEAD))
  }
  const tail = await readFile(`${file}.tail`).catch(() => undefined)
  if (tail) add(tail.subarray(4))
  return records
}
