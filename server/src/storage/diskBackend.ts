import { createReadStream } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { FileStore } from '@tus/file-store'
import { ERRORS } from '@tus/utils'
import type { ByteRange, FileRecord, RecordStore, StorageBackend } from './types.js'

export interface DiskBackendOptions {
  /** The data dir: uploads go to `uploads/`, records to `records/` below it. */
  directory: string
}

/**
 * Local-disk storage: @tus/file-store for the protocol, plain files for everything else.
 * Records sit in their own folder because FileStore treats every `<id>.json` beside an upload as
 * that upload's tus info file.
 */
export function createDiskBackend({ directory }: DiskBackendOptions): StorageBackend {
  const uploadsDirectory = path.join(directory, 'uploads')
  const recordsDirectory = path.join(directory, 'records')
  const datastore = new FileStore({ directory: uploadsDirectory })

  return {
    kind: 'disk',
    datastore,
    records: createDiskRecordStore(recordsDirectory),
    keyOf: (id) => path.posix.join('uploads', id),
    async read(id: string, range?: ByteRange): Promise<Readable> {
      const filePath = resolveInside(uploadsDirectory, id)
      const stream = createReadStream(filePath, range ?? {})
      // Surface ENOENT as the tus not-found error instead of a stream error after headers are sent.
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve())
        stream.once('error', reject)
      }).catch(() => {
        throw ERRORS.FILE_NOT_FOUND
      })
      return stream
    },
    async prepare() {
      await mkdir(uploadsDirectory, { recursive: true })
      await mkdir(recordsDirectory, { recursive: true })
    },
  }
}

function createDiskRecordStore(directory: string): RecordStore {
  const fileOf = (id: string) => resolveInside(directory, `${id}.json`)
  return {
    async get(id) {
      try {
        return JSON.parse(await readFile(fileOf(id), 'utf8')) as FileRecord
      } catch (error) {
        if (isMissingFile(error)) return undefined
        throw error
      }
    },
    async put(record) {
      // Write-then-rename so a crash never leaves half a record behind.
      const target = fileOf(record.id)
      const temporary = `${target}.${process.pid}.tmp`
      await writeFile(temporary, JSON.stringify(record))
      await rename(temporary, target)
    },
    async delete(id) {
      await rm(fileOf(id), { force: true })
    },
  }
}

function resolveInside(directory: string, name: string): string {
  const resolved = path.resolve(directory, name)
  if (path.dirname(resolved) !== path.resolve(directory)) throw ERRORS.FILE_NOT_FOUND
  return resolved
}

function isMissingFile(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}
