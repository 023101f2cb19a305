import type { Logger } from 'pino'
import type { ServerConfig } from './config/loadConfig.js'
import type { Metrics } from './metrics/createMetrics.js'
import { createJobRunner } from './processing/createJobRunner.js'
import { createProcessing, type Processing } from './processing/createProcessing.js'
import { createQueue } from './processing/queue/index.js'
import type { JobQueue } from './processing/queue/types.js'
import { createBackend } from './storage/createBackend.js'
import { createStorePromotion, type Promotion, withPromotedUploadReads } from './promotion/index.js'
import type { StorageBackend } from './storage/types.js'
import { fixOldGenerationGrowth } from './memory/oldGenerationGrowth.js'
import { createGarbagePacer, paceWrites, youngGarbageCollector } from './memory/youngGarbage.js'

export interface Runtime {
  backend: StorageBackend
  queue: JobQueue
  processing: Processing | undefined
  /** Names and stores accepted uploads under their canonical keys (a no-op with FERRY_PROMOTE=false). */
  promotion: Promotion
  close(): Promise<void>
}

export interface RuntimeOptions {
  config: ServerConfig
  logger: Logger
  /** Run processing jobs in this process (the embedded queue, or `ferry-worker`). */
  consume: boolean
  /** Counts failed S3 requests when given. */
  metrics?: Metrics
}

/**
 * What both processes (`ferry-server` and `ferry-worker`) build from one configuration: the
 * store, the job queue and the processing that runs on it.
 */
export async function createRuntime({ config, logger, consume, metrics }: RuntimeOptions): Promise<Runtime> {
  const onS3Error = (operation: string) => metrics?.s3Errors.inc({ operation })
  const stored = createBackend(config.store, {
    expirationMs: config.uploadExpiryMs,
    onS3Error,
    // One instance (no shared locks) is the only writer; a ferry-worker never writes uploads.
    soleWriter: config.coordination.kind === 'memory',
  })
  // Encrypted promoted files are their uploads' ciphertext, readable only as those uploads.
  const encrypted = config.store.kind === 'disk' && config.store.encryptionKey !== undefined
  const backend = encrypted ? withPromotedUploadReads(stored) : stored
  await backend.prepare()
  if (config.heapGrowingPercent > 0 && !fixOldGenerationGrowth(config.heapGrowingPercent)) {
    logger.warn('V8 refused --heap-growing-percent: the old generation grows as V8 chooses')
  }
  const collect = config.collectEveryBytes > 0 ? youngGarbageCollector() : undefined
  if (collect) paceWrites(backend.datastore, createGarbagePacer({ everyBytes: config.collectEveryBytes, collect }))
  else if (config.collectEveryBytes > 0) logger.warn('V8 refused --expose-gc: socket-read garbage is left to V8')
  const promotion = await createStorePromotion({
    store: config.store,
    backend,
    policy: config.promotion,
    logger,
    trustProxy: config.trustProxy,
    onS3Error,
    onAttempt: (result, seconds) => metrics?.promotionDuration.observe({ result }, seconds),
  })
  const { policy, queue: queueConfig, queueOptions } = config.processing
  const queue = createQueue(queueConfig, {
    ...queueOptions,
    // Jobs running at shutdown get the same grace as requests in flight.
    closeGraceMs: config.shutdownGraceMs,
    onError: (error) => logger.warn({ err: error }, 'job queue error'),
  })
  const processing = policy.enabled ? createProcessing({ backend, queue, policy, logger }) : undefined
  if (processing && consume) {
    const runner = createJobRunner({
      backend,
      manifests: processing.manifests,
      policy,
      attempts: queueOptions.attempts,
      logger,
    })
    await queue.consume(runner)
  }
  return { backend, queue, processing, promotion, close: () => queue.close() }
}
