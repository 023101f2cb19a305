import type { Logger } from 'pino'
import type { StoreConfig } from '../config/loadConfig.js'
import type { StorageBackend } from '../storage/types.js'
import { checkS3Support } from './checkS3Support.js'
import { createDiskPromoter } from './createDiskPromoter.js'
import { createPromotion, type Promotion, type PromotionOptions } from './createPromotion.js'
import { createS3Client } from './createS3Client.js'
import { createS3Promoter } from './createS3Promoter.js'
import type { PromotionPolicy } from './types.js'

export interface StorePromotionOptions {
  store: StoreConfig
  backend: StorageBackend
  policy: PromotionPolicy
  logger: Logger
  trustProxy: boolean
  /** Told of every failed S3 request, by operation (for metrics). */
  onS3Error?: (operation: string) => void
  /** Told how each promotion attempt ended and how long it took (for metrics). */
  onAttempt?: PromotionOptions['onAttempt']
}

/**
 * The promotion for the configured store. On S3 it first checks what the endpoint accepts (see
 * `checkS3Support`), which can stop the start-up with a configuration error.
 */
export async function createStorePromotion(options: StorePromotionOptions): Promise<Promotion> {
  const { store, backend, logger, trustProxy, onAttempt } = options
  if (store.kind === 'disk') {
    const promoter = createDiskPromoter({
      directory: store.directory,
      documents: backend.documents,
      encrypted: store.encryptionKey !== undefined,
      logger,
    })
    return createPromotion({ backend, policy: options.policy, promoter, logger, trustProxy, onAttempt })
  }
  const client = createS3Client(store, options.onS3Error)
  const policy = options.policy.enabled
    ? await checkS3Support({ client, bucket: store.bucket, policy: options.policy, logger })
    : options.policy
  const promoter = createS3Promoter({ client, bucket: store.bucket, policy, logger })
  return createPromotion({ backend, policy, promoter, logger, trustProxy, onAttempt })
}
