import { createReadStream } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { ERRORS } from '@tus/utils'
import { createEncryptedObjectStore } from './encryption/index.js'
import { FerryEncryptedFileStore, FerryFileStore } from './FerryFileStore.js'
import { readObjectHead } from './readHead.js'
import { createRecordStore } from './recordStore.js'
import type { ByteRange, DocumentStore, ObjectStore, StorageBackend } from './types.js'

export interface DiskBackendOptions {
  /** The data dir: `uploads/` for tus, `derived/` for processed files, documents beside them. */
  directory: string
  /** Unfinished uploads older than this are gone (410) and removed by `deleteExpired()`; 0 never. */
  expirationMs?: number
  /** A 32-byte key: uploads and derived files are stored encrypted (AES-256-GCM, see encryption/). */
  encryptionKey?: Buffer
}

/**
 * Local-disk storage: @tus/file-store for the protocol, plain files for everything else. Derived
 * files and documents stay out of `uploads/` because FileStore treats every `<id>.json` there as
 * an upload's info file and pairs files by name when it cleans up.
 */
export function createDiskBackend({ directory, expirationMs = 0, encryptionKey }: DiskBackendOptions): StorageBackend {
  const root = path.resolve(directory)
  const storeOptions = { directory: path.join(root, 'uploads'), expirationPeriodInMilliseconds: expirationMs }
  const plainObjects = createDiskObjectStore(root)
  let datastore: FerryFileStore | FerryEncryptedFileStore
  let objects = plainObjects
  if (encryptionKey) {
    const encrypted = new FerryEncryptedFileStore({ ...storeOptions, key: encryptionKey })
    datastore = encrypted
    objects = createEncryptedObjectStore({ uploads: encrypted, objects: plainObjects, key: encryptionKey })
  } else {
    datastore = new FerryFileStore(storeOptions)
  }
  const documents = createDiskDocumentStore(root)
  const keyOf = (id: string) => `uploads/${id}`
  return {
    kind: 'disk',
    datastore,
    discardsUnverifiedChunks: !encryptionKey,
    documents,
    records: createRecordStore(documents),
    objects,
    // An unfinished upload's file reads like a finished one (the encrypted store's records too).
    readUnfinishedHead: (id, bytes) => readObjectHead(objects, keyOf(id), bytes),
    keyOf,
    derivedKeyOf: (id, suffix, extension) => `derived/${id}${suffix}${extension}`,
    async prepare() {
      for (const folder of ['uploads', 'derived', 'records']) {
        await mkdir(path.join(root, folder), { recursive: true })
      }
    },
  }
}

function createDiskObjectStore(root: string): ObjectStore {
  return {
    async read(key: string, range?: ByteRange): Promise<Readable> {
      const stream = createReadStream(resolveInside(root, key), range ?? {})
      // ENOENT becomes the tus not-found error here, before any response header is sent.
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve())
        stream.once('error', reject)
      }).catch(() => {
        throw ERRORS.FILE_NOT_FOUND
      })
      return stream
    },
    write: (key, bytes) => writeAtomically(resolveInside(root, key), bytes),
    async delete(key) {
      await rm(resolveInside(root, key), { force: true })
    },
  }
}

function createDiskDocumentStore(root: string): DocumentStore {
  return {
    async get<T>(documentPath: string): Promise<T | undefined> {
      try {
        return JSON.parse(await readFile(resolveInside(root, documentPath), 'utf8')) as T
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
    },
    put: (documentPath, value) => writeAtomically(resolveInside(root, documentPath), JSON.stringify(value)),
    async list(prefix) {
      const directory = resolveInside(root, prefix.endsWith('/') ? prefix : path.dirname(prefix))
      const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => [])
      return entries
        .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
        .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
        .filter((documentPath) => documentPath.startsWith(prefix))
        .sort()
    },
    async delete(documentPath) {
      await rm(resolveInside(root, documentPath), { force: true })
    },
  }
}

/** Write-then-rename, so a crash never leaves half a file where a whole one is expected. */
async function writeAtomically(target: string, contents: string | Uint8Array): Promise<void> {
  const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  try {
    await writeFile(temporary, contents)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    // The folder is made only when it is missing: a mkdir that finds it costs two system calls,
    // and a small upload writes several documents.
    await mkdir(path.dirname(target), { recursive: true })
    await writeFile(temporary, contents)
  }
  await rename(temporary, target)
}

function resolveInside(root: string, relativePath: string): string {
  const resolved = path.resolve(root, relativePath)
  if (!resolved.startsWith(`${root}${path.sep}`)) throw ERRORS.FILE_NOT_FOUND
  return resolved
}
