import { mkdir, rm, unlink } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import {
  DataStore,
  ERRORS,
  FileKvStore,
  isPathInsideDirectory,
  type KvStore,
  Upload,
} from '@tus/utils'
import type { ByteRange } from '../types.js'
import { appendRecords } from './appendRecords.js'
import { EncryptionError } from './errors.js'
import { checkMasterKey, createFileHeader } from './fileHeader.js'
import { checkRecordSize, DEFAULT_RECORD_SIZE, encryptRecord } from './format.js'
import {
  inspectUploadFile,
  readUploadFile,
  replaceFile,
  type UploadFileState,
} from './uploadFile.js'

export interface EncryptedFileStoreOptions {
  /** Where each upload `<id>` and its info file `<id>.json` are kept, as with FileStore. */
  directory: string
  /** The 32-byte master key, such as `parseEncryptionKey(process.env.FERRY_ENCRYPTION_KEY)`. */
  key: Uint8Array
  /**
   * Plaintext bytes per record in new files (each file's header keeps its own).
   * @default 65536
   */
  recordSize?: number
  /**
   * Where each upload's info is kept.
   * @default a FileKvStore in `directory`, as FileStore uses
   */
  configstore?: KvStore<Upload>
  /**
   * Unfinished uploads expire this long after creation; 0 never.
   * @default 0
   */
  expirationPeriodInMilliseconds?: number
}

export const ENCRYPTED_FILE_STORE_DEFAULTS = {
  recordSize: DEFAULT_RECORD_SIZE,
  expirationPeriodInMilliseconds: 0,
} satisfies Partial<EncryptedFileStoreOptions>

const EXTENSIONS = [
  'creation',
  'creation-with-upload',
  'creation-defer-length',
  'termination',
  'expiration',
]

/**
 * A tus DataStore like @tus/file-store's FileStore, with every upload encrypted at rest by
 * AES-256-GCM in records (see `format.ts`), so that a range decrypts only the records it covers.
 * Offsets count plaintext bytes and are read back from what is stored and verifies, so a crash
 * mid-write costs at most bytes that were never acknowledged (see `uploadFile.ts`).
 * @example
 * const key = parseEncryptionKey(process.env.FERRY_ENCRYPTION_KEY ?? '')
 * const datastore = new EncryptedFileStore({ directory: 'data/uploads', key })
 * const first100 = await datastore.readRange(id, { start: 0, end: 99 })
 */
export class EncryptedFileStore extends DataStore {
  readonly directory: string
  readonly configstore: KvStore<Upload>
  readonly #key: Buffer
  readonly #recordSize: number
  readonly #expiration: number

  constructor(options: EncryptedFileStoreOptions) {
    super()
    const settings = { ...ENCRYPTED_FILE_STORE_DEFAULTS, ...options }
    checkRecordSize(settings.recordSize)
    this.#key = checkMasterKey(settings.key)
    this.#recordSize = settings.recordSize
    this.#expiration = settings.expirationPeriodInMilliseconds
    this.directory = settings.directory
    this.configstore = settings.configstore ?? new FileKvStore(settings.directory)
    this.extensions = [...EXTENSIONS]
  }

  override async create(upload: Upload): Promise<Upload> {
    const file = this.#pathOf(upload.id)
    await mkdir(path.dirname(file), { recursive: true })
    const masterKey = this.#key
    const recordSize = this.#recordSize
    const { header, key } = createFileHeader({ masterKey, fileId: upload.id, recordSize })
    const contents = [header]
    // An empty upload is complete at once, so it gets its (empty) final record now.
    const plaintext = Buffer.alloc(0)
    if (upload.size === 0) contents.push(encryptRecord({ key, index: 0, plaintext, final: true }))
    await replaceFile(file, contents)
    await this.configstore.set(upload.id, upload)
    upload.storage = { type: 'file', path: file }
    return upload
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const info = await this.#infoOf(id)
    const state = await this.#inspect(id)
    if (offset !== state.offset) throw ERRORS.INVALID_OFFSET
    if (state.finalLength !== undefined) {
      // Complete: any byte more is one too many.
      for await (const chunk of stream) {
        if ((chunk as Uint8Array).length > 0) throw ERRORS.ERR_SIZE_EXCEEDED
      }
      return state.offset
    }
    const result = await appendRecords({ state, source: stream, size: info.size })
    // As with FileStore: the bytes that arrived are kept, and the request fails.
    if ('failure' in result) throw ERRORS.FILE_WRITE_ERROR
    return result.offset
  }

  override async getUpload(id: string): Promise<Upload> {
    const info = await this.#infoOf(id)
    const state = await this.#inspect(id)
    return new Upload({
      id,
      size: info.size,
      offset: state.offset,
      metadata: info.metadata,
      creation_date: info.creation_date,
      storage: { type: 'file', path: state.path },
    })
  }

  override async remove(id: string): Promise<void> {
    const file = this.#pathOf(id)
    await unlink(file).catch(() => {
      throw ERRORS.FILE_NOT_FOUND
    })
    await rm(`${file}.tail`, { force: true })
    await this.configstore.delete(id)
  }

  override async declareUploadLength(id: string, length: number): Promise<void> {
    const info = await this.#infoOf(id)
    info.size = length
    await this.configstore.set(id, info)
  }

  override async deleteExpired(): Promise<number> {
    if (this.#expiration <= 0) return 0
    if (!this.configstore.list) throw ERRORS.UNSUPPORTED_EXPIRATION_EXTENSION
    let deleted = 0
    for (const id of await this.configstore.list()) {
      const info = await this.configstore.get(id)
      const created = Date.parse(info?.creation_date ?? '')
      if (Number.isNaN(created) || created + this.#expiration > Date.now()) continue
      // Unlike FileStore, the offset comes from the file: a finished upload never expires, and one
      // that cannot be read (a wrong key) is left alone rather than deleted.
      const upload = await this.getUpload(id).catch(() => undefined)
      if (!upload || upload.offset === upload.size) continue
      await this.remove(id)
      deleted += 1
    }
    return deleted
  }

  override getExpiration(): number {
    return this.#expiration
  }

  /**
   * The plaintext of an upload, or the inclusive `range` of it, decrypting only the records that
   * cover it. Rejects before any byte is read when the upload or the range is not stored.
   * @example
   * const stream = await datastore.readRange(id, { start: 1000, end: 1999 })
   */
  async readRange(id: string, range?: ByteRange): Promise<Readable> {
    const state = await this.#inspect(id)
    if (!range && state.offset === 0) return Readable.from([], { objectMode: false })
    const { start, end } = range ?? { start: 0, end: state.offset - 1 }
    const valid = Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0
    if (!valid || end < start || end >= state.offset) {
      const message = `bytes ${start}-${end} are not among the ${state.offset} stored for "${id}"`
      throw new EncryptionError('out-of-range', message)
    }
    return Readable.from(readUploadFile(state, start, end), { objectMode: false })
  }

  /**
   * The plaintext of an upload, like FileStore's `read`; errors arrive on the stream.
   * @example
   * await pipeline(datastore.read(id), createWriteStream('copy.bin'))
   */
  read(id: string): Readable {
    const open = () => this.readRange(id)
    return Readable.from(
      (async function* () {
        yield* await open()
      })(),
      { objectMode: false },
    )
  }

  async #infoOf(id: string): Promise<Upload> {
    const info = await this.configstore.get(id)
    if (!info) throw ERRORS.FILE_NOT_FOUND
    return info
  }

  async #inspect(id: string): Promise<UploadFileState> {
    const file = this.#pathOf(id)
    return inspectUploadFile({ file, masterKey: this.#key, fileId: id }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') throw ERRORS.FILE_NO_LONGER_EXISTS
        throw error
      },
    )
  }

  #pathOf(id: string): string {
    const file = path.join(this.directory, id)
    if (!isPathInsideDirectory(this.directory, file)) throw ERRORS.FILE_NOT_FOUND
    return file
  }
}
