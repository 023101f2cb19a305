import type { PreviousUpload } from 'tus-js-client'
import { defaultUrlStorage } from './defaultUrlStorage.js'
import { fingerprint } from './fingerprint.js'
import type { FerryUrlStorage } from './types.js'
import { newestFirst } from './uploadRecords.js'

export interface FindPreviousUploadsOptions {
  /** Only uploads of this file (matched by its fingerprint) to this endpoint. */
  file?: Blob
  endpoint?: string
  /** @default the SDK's default storage (IndexedDB where available) */
  urlStorage?: FerryUrlStorage
}

/**
 * Unfinished uploads this browser can resume, newest first: all of them, or those of one file.
 * Selecting the same file again and calling `start()` continues any of them by itself; this is
 * for showing the user what is pending (for example "3 uploads were interrupted").
 *
 * @example
 * const pending = await findPreviousUploads()
 * banner.textContent = `${pending.length} uploads can be resumed`
 */
export async function findPreviousUploads(options: FindPreviousUploadsOptions = {}): Promise<PreviousUpload[]> {
  const storage = options.urlStorage ?? (await defaultUrlStorage())
  const uploads =
    options.file && options.endpoint
      ? await storage.findUploadsByFingerprint(await fingerprint(options.file, { endpoint: options.endpoint }))
      : await storage.findAllUploads()
  return newestFirst(uploads)
}
