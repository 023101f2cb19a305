import type { FerryUrlStorage } from './types.js'

/**
 * Delegates to `storage`, but a failure of the storage (quota exceeded, a connection closed by
 * another tab's upgrade or by "clear site data") never fails an upload: the resume records are an
 * aid. A lookup that fails finds nothing, a record that cannot be written gets a key of its own
 * that nothing is stored under, and a removal that fails is left to the records' expiry.
 * (tus-js-client does not catch a failed write: the upload would stop silently after its creation.)
 */
export function forgivingUrlStorage(storage: FerryUrlStorage): FerryUrlStorage {
  let unsaved = 0
  return {
    findAllUploads: () => storage.findAllUploads().catch(() => []),
    findUploadsByFingerprint: (fingerprint) => storage.findUploadsByFingerprint(fingerprint).catch(() => []),
    removeUpload: (key) => storage.removeUpload(key).catch(() => {}),
    addUpload: (fingerprint, upload) =>
      storage.addUpload(fingerprint, upload).catch(() => `ferry-unsaved-${++unsaved}`),
    saveHashState: (key, state, offset) => storage.saveHashState(key, state, offset).catch(() => {}),
    loadHashState: (key) => storage.loadHashState(key).catch(() => undefined),
  }
}
