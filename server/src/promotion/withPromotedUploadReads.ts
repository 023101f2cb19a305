import type { StorageBackend } from '../storage/types.js'
import { uploadIdOfCanonicalKey } from './canonicalKey.js'

/**
 * For the encrypted disk store. There a promoted file is its upload's ciphertext under a second
 * name (a hard link), and that ciphertext is bound to the upload id (see storage/encryption), so
 * reading a canonical key decrypts the upload it names: the same bytes, with Range working as
 * for any upload. Every other key reads as before.
 * @example
 * const backend = withPromotedUploadReads(createDiskBackend({ directory, encryptionKey }))
 */
export function withPromotedUploadReads(backend: StorageBackend): StorageBackend {
  const { objects } = backend
  return {
    ...backend,
    objects: {
      ...objects,
      read(key, range) {
        const id = uploadIdOfCanonicalKey(key)
        return objects.read(id === undefined ? key : backend.keyOf(id), range)
      },
    },
  }
}
