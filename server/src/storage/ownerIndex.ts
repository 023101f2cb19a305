import { createHash } from 'node:crypto'
import type { DocumentStore, FileRecord } from './types.js'

export interface OwnerIndexPage {
  ids: string[]
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string
}

// Names sort newest first: the time is stored as its distance to a far future.
const FAR_FUTURE = 9_999_999_999_999

/**
 * One small document per accepted file under its owner's folder, so listing a user's files reads
 * that folder only (never the whole store) and no database is needed.
 */
export function createOwnerIndex(documents: DocumentStore) {
  const folderOf = (owner: string) => `owners/${createHash('sha256').update(owner).digest('hex').slice(0, 32)}/`
  const pathOf = (record: Pick<FileRecord, 'id' | 'owner' | 'finishedAt'>) => {
    const inverted = String(FAR_FUTURE - new Date(record.finishedAt).getTime()).padStart(13, '0')
    return `${folderOf(record.owner)}${inverted}-${record.id}.json`
  }
  return {
    add: (record: FileRecord) => documents.put(pathOf(record), { id: record.id }),
    remove: (record: FileRecord) => documents.delete(pathOf(record)),
    async list(owner: string, { limit, cursor }: { limit: number; cursor?: string }): Promise<OwnerIndexPage> {
      const folder = folderOf(owner)
      const names = (await documents.list(folder)).map((path) => path.slice(folder.length, -'.json'.length))
      const start = cursor ? names.findIndex((name) => name > cursor) : 0
      const page = start < 0 ? [] : names.slice(start, start + limit)
      const last = page.at(-1)
      return {
        ids: page.map((name) => name.slice(name.indexOf('-') + 1)),
        ...(last && start + limit < names.length ? { nextCursor: last } : {}),
      }
    },
  }
}

export type OwnerIndex = ReturnType<typeof createOwnerIndex>
