import type { DocumentStore } from '../storage/types.js'

/**
 * The SHA-256 state of an unfinished upload after its first `offset` bytes, as hash-wasm's
 * `save()` exports it. Kept in the store beside the upload, so whichever process or instance
 * receives the next PATCH continues the hash instead of reading the bytes again.
 */
export interface HashCheckpoint {
  offset: number
  /** Base64 of the hasher's saved state. */
  state: string
}

export interface HashCheckpoints {
  get(id: string): Promise<HashCheckpoint | undefined>
  put(id: string, checkpoint: HashCheckpoint): Promise<void>
  /** A missing checkpoint is not an error. */
  delete(id: string): Promise<void>
  /** Ids of every upload that has a checkpoint. */
  ids(): Promise<string[]>
}

const PREFIX = 'hash-state/'

export function createHashCheckpoints(documents: DocumentStore): HashCheckpoints {
  const pathOf = (id: string) => `${PREFIX}${id}.json`
  return {
    get: (id) => documents.get<HashCheckpoint>(pathOf(id)),
    put: (id, checkpoint) => documents.put(pathOf(id), checkpoint),
    delete: (id) => documents.delete(pathOf(id)),
    async ids() {
      const paths = await documents.list(PREFIX)
      return paths.map((path) => path.slice(PREFIX.length).replace(/\.json$/, ''))
    },
  }
}
