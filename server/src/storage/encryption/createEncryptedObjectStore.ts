import { Readable } from 'node:stream'
import { ERRORS } from '@tus/utils'
import type { ByteRange, ObjectStore } from '../types.js'
import { decryptRecords } from './decryptRecords.js'
import type { EncryptedFileStore } from './EncryptedFileStore.js'
import { checkMasterKey, createFileHeader, openFileHeader } from './fileHeader.js'
import {
  checkRecordSize,
  DEFAULT_RECORD_SIZE,
  encryptRecord,
  HEADER_SIZE,
  recordRange,
} from './format.js'

export interface EncryptedObjectStoreOptions {
  /** The encrypted tus store; keys under `uploadPrefix` are its uploads, read through it. */
  uploads: EncryptedFileStore
  /** Where every other object (derived files) is kept, encrypted before it gets there. */
  objects: ObjectStore
  /** The same 32-byte master key as `uploads`. */
  key: Uint8Array
  /**
   * The key prefix of uploads, as the backend's `keyOf(id)` builds them.
   * @default 'uploads/'
   */
  uploadPrefix?: string
  /**
   * Plaintext bytes per record in new objects.
   * @default 65536
   */
  recordSize?: number
}

export const ENCRYPTED_OBJECT_STORE_DEFAULTS = {
  uploadPrefix: 'uploads/',
  recordSize: DEFAULT_RECORD_SIZE,
} satisfies Partial<EncryptedObjectStoreOptions>

/**
 * The backend's `objects` with encryption at rest. Uploads are decrypted by their store, a range
 * reading only the records it covers, so the download route's Range and ETag work unchanged;
 * derived files are written in the same record format, each bound to its object key.
 * @example
 * const disk = createDiskBackend({ directory })
 * const key = parseEncryptionKey(process.env.FERRY_ENCRYPTION_KEY ?? '')
 * const datastore = new EncryptedFileStore({ directory: path.join(directory, 'uploads'), key })
 * const objects = createEncryptedObjectStore({ uploads: datastore, objects: disk.objects, key })
 * const backend: StorageBackend = { ...disk, datastore, objects }
 */
export function createEncryptedObjectStore(options: EncryptedObjectStoreOptions): ObjectStore {
  const settings = { ...ENCRYPTED_OBJECT_STORE_DEFAULTS, ...options }
  const { uploads, objects, uploadPrefix, recordSize } = settings
  const masterKey = checkMasterKey(settings.key)
  checkRecordSize(recordSize)
  // An upload's file key is bound to its tus id, as its store does; other objects' to their key.
  const uploadIdOf = (key: string) =>
    key.startsWith(uploadPrefix) ? key.slice(uploadPrefix.length) : undefined

  return {
    async read(key: string, range?: ByteRange): Promise<Readable> {
      const id = uploadIdOf(key)
      if (id === undefined) return readObject({ objects, masterKey, fileId: key }, range)
      return uploads.readRange(id, range).catch((error: unknown) => {
        throw error === ERRORS.FILE_NO_LONGER_EXISTS ? ERRORS.FILE_NOT_FOUND : error
      })
    },
    async write(key, bytes, writeOptions) {
      const fileId = uploadIdOf(key) ?? key
      const encrypted = encryptWhole({ masterKey, fileId, plaintext: bytes, recordSize })
      await objects.write(key, encrypted, writeOptions)
    },
    async delete(key) {
      await objects.delete(key)
      if (uploadIdOf(key) !== undefined) await objects.delete(`${key}.tail`)
    },
  }
}

interface ObjectOptions {
  objects: ObjectStore
  masterKey: Buffer
  fileId: string
}

async function readObject(options: ObjectOptions, range?: ByteRange): Promise<Readable> {
  const { objects, masterKey, fileId } = options
  if (!range) return readWhole(await objects.read(fileId), options)
  const header = await collect(await objects.read(fileId, { start: 0, end: HEADER_SIZE - 1 }))
  const { key, recordSize } = openFileHeader({ masterKey, fileId, header })
  const { start, end } = range
  const { firstIndex, skip, cipherStart, cipherEnd } = recordRange(start, end, recordSize)
  const source = await objects.read(fileId, { start: cipherStart, end: cipherEnd })
  const length = end - start + 1
  const plaintext = decryptRecords(source, { key, recordSize, firstIndex, skip, length })
  return Readable.from(plaintext, { objectMode: false })
}

/** One read of the whole object, its header checked before the stream is handed back. */
async function readWhole(stream: Readable, options: ObjectOptions): Promise<Readable> {
  const chunks: AsyncIterator<Buffer> = stream[Symbol.asyncIterator]()
  let head = Buffer.alloc(0)
  while (head.length < HEADER_SIZE) {
    const next = await chunks.next()
    if (next.done) break
    head = Buffer.concat([head, next.value])
  }
  let opened: ReturnType<typeof openFileHeader>
  try {
    const { masterKey, fileId } = options
    opened = openFileHeader({ masterKey, fileId, header: head.subarray(0, HEADER_SIZE) })
  } catch (error) {
    stream.destroy()
    throw error
  }
  const rest = head.subarray(HEADER_SIZE)
  async function* records() {
    if (rest.length > 0) yield rest
    // Delegating to the iterator passes an early return on to it, which destroys the stream.
    yield* { [Symbol.asyncIterator]: () => chunks }
  }
  const plaintext = decryptRecords(records(), { ...opened, firstIndex: 0 })
  return Readable.from(plaintext, { objectMode: false })
}

/** A whole object in the record format: full records, then a final one (possibly empty). */
function encryptWhole(options: {
  masterKey: Buffer
  fileId: string
  plaintext: Uint8Array
  recordSize: number
}): Buffer {
  const { masterKey, fileId, plaintext, recordSize } = options
  const { header, key } = createFileHeader({ masterKey, fileId, recordSize })
  const parts = [header]
  const full = Math.floor(plaintext.length / recordSize)
  for (let index = 0; index <= full; index += 1) {
    const slice = plaintext.subarray(index * recordSize, (index + 1) * recordSize)
    parts.push(encryptRecord({ key, index, plaintext: slice, final: index === full }))
  }
  return Buffer.concat(parts)
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
