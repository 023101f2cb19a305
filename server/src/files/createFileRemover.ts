import type { Logger } from 'pino'
import { runPostHook } from '../hooks/runHooks.js'
import type { FerryHooks } from '../hooks/types.js'
import type { Processing } from '../processing/createProcessing.js'
import { createOwnerIndex } from '../storage/ownerIndex.js'
import type { StorageBackend } from '../storage/types.js'

export interface FileRemoverOptions {
  backend: StorageBackend
  processing?: Processing
  hooks: FerryHooks
  logger: Logger
}

/**
 * Removes everything the server keeps about an upload besides its tus bytes (which the caller
 * removes through the datastore): derived files and manifest, record, owner index entry. Used by
 * tus termination and by `DELETE /api/files/:id`, so both leave nothing behind.
 */
export function createFileRemover({ backend, processing, hooks, logger }: FileRemoverOptions) {
  const owners = createOwnerIndex(backend.documents)
  return async function removeFileData(id: string): Promise<void> {
    const record = await backend.records.get(id)
    await processing?.remove(id)
    if (record) {
      await owners.remove(record)
      await backend.records.delete(id)
    }
    await runPostHook(hooks, 'post-terminate', { uploadId: id }, logger)
  }
}
