import type { StoreConfig } from '../config/loadConfig.js'
import { createDiskBackend } from './diskBackend.js'
import { createS3Backend } from './s3Backend.js'
import type { StorageBackend } from './types.js'

export interface BackendOptions {
  /** Unfinished uploads older than this are gone (410) and removed by the cleanup; 0 never. */
  expirationMs?: number
  /** Told of every failed S3 request, by operation (for metrics). */
  onS3Error?: (operation: string) => void
  /**
   * This process is the only one writing uploads (no shared coordination), so the S3 store may
   * remember each upload's parts between requests instead of asking S3 every time.
   */
  soleWriter?: boolean
}

/** Builds the storage backend that a validated configuration names. */
export function createBackend(store: StoreConfig, { expirationMs = 0, onS3Error, soleWriter = false }: BackendOptions = {}): StorageBackend {
  if (store.kind === 's3') {
    const { kind: _kind, ...options } = store
    return createS3Backend({
      ...options,
      expirationMs,
      rememberProgress: soleWriter,
      ...(onS3Error ? { onRequestError: onS3Error } : {}),
    })
  }
  return createDiskBackend({
    directory: store.directory,
    expirationMs,
    ...(store.encryptionKey ? { encryptionKey: store.encryptionKey } : {}),
  })
}
