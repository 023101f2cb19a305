export { createApp, type AppOptions, type DemoFiles } from './app.js'
export { ConfigError, loadConfig, type ServerConfig, type StoreConfig } from './config/loadConfig.js'
export { createBackend } from './storage/createBackend.js'
export { createDiskBackend } from './storage/diskBackend.js'
export { createS3Backend } from './storage/s3Backend.js'
export type { FileRecord, RecordStore, StorageBackend } from './storage/types.js'
export { createLogger } from './logger.js'
export { createRuntime, type Runtime, type RuntimeOptions } from './createRuntime.js'
export { type Coordination, createCoordination } from './locking/createCoordination.js'
export { RedisLocker, type RedisLockerOptions } from './locking/RedisLocker.js'
export { createRedisRateLimiter, type RedisRateLimiterOptions } from './policy/RedisRateLimiter.js'
export { combineHooks } from './hooks/runHooks.js'
export { type FerryHooks, type HookEvents, type HookName, HookRejection, type UploadInfo } from './hooks/types.js'
export { createProcessing, type Processing } from './processing/createProcessing.js'
export { defaultProcessingPolicy, planJobs, type ProcessingPolicy } from './processing/ProcessingPolicy.js'
export { authenticateAnonymously } from './auth/anonymous.js'
export { bearerJwt, type BearerJwtOptions } from './auth/bearerJwt.js'
export { AuthError, type Authenticate, type Principal } from './auth/types.js'
export {
  createDownloadUrlSigner,
  type DownloadUrlSigner,
  type DownloadUrlSignerOptions,
  type SignedDownloadUrl,
} from './downloads/createDownloadUrlSigner.js'
export { downloadSigningKey, type DownloadSigningKeyOptions } from './downloads/downloadSigningKey.js'
export { createFerryServer, type FerryServer, type FerryServerOptions } from './createFerryServer.js'
export { createGracefulShutdown, type GracefulShutdownOptions } from './gracefulShutdown.js'
export { holdSignalsDuringStartup, type StartupSignals } from './startupSignals.js'
export * from './webhooks/index.js'
