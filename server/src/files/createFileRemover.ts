import type { Logger } from 'pino'
import { runPostHook } from '../hooks/runHooks.js'
import type { FerryHooks } from '../hooks/types.js'
import type { Processing } from '../processing/createProcessing.js'
import type { Promotion } from '../promotion/createPromotion.js'
import { createOwnerIndex } from '../storage/ownerIndex.js'
import type { StorageBackend } from '../storage/types.js'

export interface FileRemoverOptions {
  backend: StorageBackend
  processing?: Processing
  /** Removes promoted objects (and their sidecars); without it they are deleted by key. */
  promotion?: Promotion
  hooks: FerryHooks
  logger: Logger
}

/**
 * Removes everything the server keeps about an upload besides its tus bytes (which the caller
 * removes through the datastore): the promoted object, derived files and manifest, record, owner
 * index entry. The record goes last, so a removal that fails midway can be run again. Used by
 * tus termination and by `DELETE /api/files/:id`, so both leave nothing behind.
 */
export function createFileRemover({ backend, processing, promotion, hooks, logger }: FileRemoverOptions) {
  const owners = createOwnerIndex(backend.documents)
  return async function removeFileData(id: string): Promise<void> {
    const record = await backend.records.get(id)
    await processing?.remove(id)
    if (record?.promoted) {
      if (promotion) await promotion.remove(record)
      else await backend.objects.delete(record.key)
    }
    if (record) {
      await owners.remove(record)
      await backend.records.delete(id)
    }
    await runPostHook(hooks, 'post-terminate', { uploadId: id }, logger)
  }
}
