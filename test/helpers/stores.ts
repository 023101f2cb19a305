import { mkdtemp, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { inject } from 'vitest'
import { createTestBucket } from './s3.js'

/** One store under test: how to point a server at it and how to list what it holds. */
export interface StoreUnderTest {
  env: Record<string, string>
  /** Every object key (S3) or file path below the data dir (disk). */
  listAll: () => Promise<string[]>
  /**
   * The same without hash checkpoints. A sole writer saves an upload's checkpoint after answering
   * its PATCH, so one of an earlier upload may land at any moment; compare this listing when a
   * request must create nothing (a new upload still shows by its info file and record).
   */
  listAllButCheckpoints: () => Promise<string[]>
}

export type StoreKind = 'disk' | 's3'
/** Both stores by default; `FERRY_TEST_STORES=disk` skips S3 for a quick local run. */
export const STORE_KINDS = selectedStores()

export function selectedStores(): StoreKind[] {
  const wanted = (process.env.FERRY_TEST_STORES ?? 'disk,s3').split(',').map((kind) => kind.trim())
  return (['disk', 's3'] as const).filter((kind) => wanted.includes(kind))
}

export async function prepareStore(kind: StoreKind): Promise<StoreUnderTest> {
  if (kind === 's3') {
    const bucket = await createTestBucket(inject('s3'))
    return withoutCheckpoints({ env: bucket.serverEnv, listAll: bucket.keys })
  }
  const directory = await mkdtemp(path.join(tmpdir(), 'ferry-data-'))
  return withoutCheckpoints({
    env: { FERRY_STORE: 'disk', FERRY_DATA_DIR: directory },
    async listAll() {
      const entries = await readdir(directory, { recursive: true, withFileTypes: true })
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
        .sort()
    },
  })
}

function withoutCheckpoints(store: Omit<StoreUnderTest, 'listAllButCheckpoints'>): StoreUnderTest {
  return {
    ...store,
    listAllButCheckpoints: async () => (await store.listAll()).filter((key) => !key.includes('hash-state/')),
  }
}
