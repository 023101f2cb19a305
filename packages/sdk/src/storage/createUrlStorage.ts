import { IndexedDbUrlStorage, type IndexedDbUrlStorageOptions } from './IndexedDbUrlStorage.js'
import { MemoryUrlStorage } from './MemoryUrlStorage.js'
import type { FerryUrlStorage } from './types.js'

/**
 * The most durable URL storage this runtime allows: IndexedDB where it opens, otherwise memory
 * (Node, private browsing modes that refuse IndexedDB, storage blocked by the user). Logs
 * nothing; `instanceof IndexedDbUrlStorage` tells which one it is.
 *
 * @example
 * const urlStorage = await createUrlStorage()
 * const upload = new FerryUpload(file, { endpoint: '/files/', urlStorage })
 */
export async function createUrlStorage(
  options: IndexedDbUrlStorageOptions = {},
): Promise<FerryUrlStorage> {
  try {
    return await IndexedDbUrlStorage.open(options)
  } catch {
    // Not an error for the caller: uploads still resume within this page, only not after reload.
    return new MemoryUrlStorage(options)
  }
}
