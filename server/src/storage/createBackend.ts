import type { StoreConfig } from '../config/loadConfig.js'
import { createDiskBackend } from './diskBackend.js'
import { createS3Backend } from './s3Backend.js'
import type { StorageBackend } from './types.js'

/** Builds the storage backend that a validated configuration names. */
export function createBackend(
  store: StoreConfig,
  expirationMs = 0,
  onS3Error?: (operation: string) => void,
): StorageBackend {
  if (store.kind === 's3') {
    const { kind: _kind, ...options } = store
    return createS3Backend({ ...options, expirationMs, ...(onS3Error ? { onRequestError: onS3Error } : {}) })
  }
  return createDiskBackend({
    directory: store.directory,
    expirationMs,
    ...(store.encryptionKey ? { encryptionKey: store.encryptionKey } : {}),
  })
}
