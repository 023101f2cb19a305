import type { PreviousUpload } from 'tus-js-client'
import type { FerryUrlStorage } from './types.js'

/**
 * Delegates to `storage` and reports the key under which tus-js-client stores a new upload,
 * which it otherwise keeps private; the SDK saves the hash state under that key. `decorate` may
 * add to what is stored of a new upload.
 */
export function trackStorageKey(
  storage: FerryUrlStorage,
  onKey: (key: string) => void,
  decorate: (upload: PreviousUpload) => PreviousUpload = (upload) => upload,
): FerryUrlStorage {
  return {
    findAllUploads: () => storage.findAllUploads(),
    findUploadsByFingerprint: (fingerprint) => storage.findUploadsByFingerprint(fingerprint),
    removeUpload: (key) => storage.removeUpload(key),
    async addUpload(fingerprint: string, upload: PreviousUpload) {
      const key = await storage.addUpload(fingerprint, decorate(upload))
      onKey(key)
      return key
    },
    saveHashState: (key, state, offset) => storage.saveHashState(key, state, offset),
    loadHashState: (key) => storage.loadHashState(key),
  }
}
