import path from 'node:path'
import { type AuthConfig, loadAuthConfig } from './authConfig.js'
import { parseEncryptionKey } from '../storage/encryption/index.js'
import { type CoordinationConfig, loadCoordinationConfig } from './coordinationConfig.js'
import { type DownloadUrlConfig, loadDownloadUrlConfig } from './downloadUrlConfig.js'
import { createReaders, type Environment } from './environmentReaders.js'
import { loadProcessingConfig, type ProcessingConfig } from './processingConfig.js'
import { loadPromotionConfig } from './promotionConfig.js'
import type { PromotionPolicy } from '../promotion/types.js'
import { loadWebhookConfig, type WebhookConfig } from './webhookConfig.js'

/** Where uploads are kept: local disk (the default, nothing to install) or an S3-compatible bucket. */
export type StoreConfig =
  | { kind: 'disk'; directory: string; encryptionKey?: Buffer }
  | {
      kind: 's3'
      bucket: string
      region: string
      endpoint: string | undefined
      accessKeyId: string | undefined
      secretAccessKey: string | undefined
      forcePathStyle: boolean
      /** Multipart part size in bytes (S3 needs at least 5 MiB for every part but the last). */
      partSize: number
    }

export interface ServerConfig {
  port: number
  host: string
  store: StoreConfig
  /** Origins allowed by CORS; `'*'` allows any. */
  corsOrigins: string[] | '*'
  /** Largest upload accepted, in bytes; 0 means no limit. */
  maxSize: number
  /** Unfinished uploads expire this long after creation (410, then removed); 0 never. */
  uploadExpiryMs: number
  /** How often expired uploads are removed. */
  cleanupIntervalMs: number
  /** How long in-flight requests may run after SIGTERM/SIGINT before they are cut off. */
  shutdownGraceMs: number
  /** Largest PATCH body that may carry `Upload-Checksum` (it is verified before it is stored). */
  maxChunkBytes: number
  /** Refuse to finish an upload whose client sent no SHA-256 digest. */
  requireDigest: boolean
  /**
   * How the server gets an upload's SHA-256: `stream` hashes the bytes as they arrive and saves
   * the hash state after each PATCH; `reread` reads the finished upload once more.
   */
  serverHash: 'stream' | 'reread'
  /**
   * Upload bytes read between two young-generation collections, which keep the garbage of socket
   * reads from piling up to V8's 64 MiB external-memory trigger; 0 leaves it to V8.
   */
  collectEveryBytes: number
  /** V8's old generation may grow this many percent past the live heap; 0 leaves V8 to choose. */
  heapGrowingPercent: number
  /** Trust `X-Forwarded-*` headers when building upload URLs (behind a reverse proxy). */
  trustProxy: boolean
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  auth: AuthConfig
  /** Signed download URLs: their own secret (else derived from the JWT secret) and lifetime. */
  downloadUrls: DownloadUrlConfig
  policy: { enabled: boolean; defaultTier: 'basic' | 'premium' | 'enterprise'; uploadsPerMinute: number }
  processing: ProcessingConfig
  /** Where upload locks and rate limits live: this process, or a Redis shared by instances. */
  coordination: CoordinationConfig
  /** Naming and storing accepted uploads under canonical keys. */
  promotion: PromotionPolicy
  webhooks: WebhookConfig
}

/** Thrown by `loadConfig` with one line per bad variable, so a user fixes them all in one go. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(readonly problems: string[]) {
    super(`ferry-server: invalid configuration\n${problems.map((line) => `  - ${line}`).join('\n')}`)
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const MIB = 1024 * 1024

/**
 * Reads and validates the server's configuration from environment variables.
 *
 * @example
 * const config = loadConfig(process.env)
 */
export function loadConfig(env: Environment, cwd = process.cwd()): ServerConfig {
  const problems: string[] = []
  const read = createReaders(env, problems)

  const port = read.integer('PORT', 3000, { min: 0, max: 65535 })
  const host = read.string('HOST', '127.0.0.1')
  const storeKind = read.oneOf('FERRY_STORE', ['disk', 's3'] as const, 'disk')
  const corsOrigins = parseOrigins(read.string('FERRY_CORS_ORIGINS', '*'), problems)
  const maxSize = read.integer('FERRY_MAX_SIZE', 0, { min: 0 })
  const requireDigest = read.boolean('FERRY_REQUIRE_DIGEST', false)
  const serverHash = read.oneOf('FERRY_SERVER_HASH', ['stream', 'reread'] as const, 'stream')
  const maxChunkBytes = read.integer('FERRY_CHECKSUM_MAX_CHUNK', 64 * MIB, { min: 1 })
  // Paced collections bound the S3 store's garbage; on disk they promoted each request's live
  // objects to the old generation and grew the server more than V8 left alone (Benchmarks).
  const collectEveryBytes = read.integer('FERRY_GC_EVERY_MIB', storeKind === 's3' ? 8 : 0, { min: 0, max: 1024 }) * MIB
  // A fixed growth of V8's old generation; 0 leaves V8 its own (see memory/oldGenerationGrowth).
  const heapGrowingPercent = read.integer('FERRY_HEAP_GROWING_PERCENT', 150, { min: 0, max: 1000 })
  const uploadExpiryMs = read.integer('FERRY_UPLOAD_EXPIRY_SECONDS', 24 * 3600, { min: 0 }) * 1000
  const cleanupIntervalMs = read.integer('FERRY_CLEANUP_INTERVAL_SECONDS', 3600, { min: 1 }) * 1000
  // Inside the 10 s `docker stop` (and Kubernetes' 30 s) leaves before SIGKILL, with time to close.
  const shutdownGraceMs = read.integer('FERRY_SHUTDOWN_GRACE_MS', 8_000, { min: 0, max: 3_600_000 })
  const trustProxy = read.boolean('FERRY_TRUST_PROXY', false)
  const logLevel = read.oneOf('FERRY_LOG_LEVEL', LOG_LEVELS, 'info')

  let store: StoreConfig
  if (storeKind === 's3') {
    const endpoint = read.optional('FERRY_S3_ENDPOINT')
    if (endpoint !== undefined && !isHttpUrl(endpoint)) {
      problems.push(`FERRY_S3_ENDPOINT must be an http(s) URL, got "${endpoint}"`)
    }
    const accessKeyId = read.optional('FERRY_S3_ACCESS_KEY_ID')
    const secretAccessKey = read.optional('FERRY_S3_SECRET_ACCESS_KEY')
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
      problems.push(
        'FERRY_S3_ACCESS_KEY_ID and FERRY_S3_SECRET_ACCESS_KEY must be set together ' +
          '(or both left out to use the AWS default credential chain)',
      )
    }
    store = {
      kind: 's3',
      bucket: read.required('FERRY_S3_BUCKET', 'with FERRY_STORE=s3'),
      region: read.string('FERRY_S3_REGION', 'us-east-1'),
      endpoint,
      accessKeyId,
      secretAccessKey,
      forcePathStyle: read.boolean('FERRY_S3_FORCE_PATH_STYLE', endpoint !== undefined),
      partSize: read.integer('FERRY_S3_PART_SIZE', 8 * MIB, { min: 5 * MIB }),
    }
  } else {
    const encryptionKey = readEncryptionKey(read.optional('FERRY_ENCRYPTION_KEY'), problems)
    store = {
      kind: 'disk',
      directory: path.resolve(cwd, read.string('FERRY_DATA_DIR', './data')),
      ...(encryptionKey ? { encryptionKey } : {}),
    }
  }
  if (storeKind === 's3' && read.optional('FERRY_ENCRYPTION_KEY') !== undefined) {
    problems.push('FERRY_ENCRYPTION_KEY applies to the disk store; on S3 use the bucket\'s server-side encryption')
  }

  const auth = loadAuthConfig(read, problems)
  const downloadUrls = loadDownloadUrlConfig(read, problems)
  const policy = {
    enabled: read.oneOf('FERRY_POLICY', ['off', 'tiers'] as const, 'off') === 'tiers',
    defaultTier: read.oneOf('FERRY_DEFAULT_TIER', ['basic', 'premium', 'enterprise'] as const, 'basic'),
    uploadsPerMinute: read.integer('FERRY_RATE_LIMIT', 60, { min: 0 }),
  }
  const processing = loadProcessingConfig(read, problems)
  const coordination = loadCoordinationConfig(read, problems)
  const webhooks = loadWebhookConfig(read, problems)
  const promotion = loadPromotionConfig(read, problems, storeKind)
  if (problems.length > 0) throw new ConfigError(problems)
  return {
    auth,
    downloadUrls,
    policy,
    processing,
    coordination,
    promotion,
    webhooks,
    port,
    host,
    store,
    corsOrigins,
    maxSize,
    maxChunkBytes,
    uploadExpiryMs,
    cleanupIntervalMs,
    shutdownGraceMs,
    requireDigest,
    serverHash,
    collectEveryBytes,
    heapGrowingPercent,
    trustProxy,
    logLevel,
  }
}

function readEncryptionKey(value: string | undefined, problems: string[]): Buffer | undefined {
  if (value === undefined) return undefined
  try {
    return parseEncryptionKey(value)
  } catch (error) {
    problems.push(`FERRY_ENCRYPTION_KEY: ${(error as Error).message.replace(/^ferry-server: /, '')}`)
    return undefined
  }
}

/**
 * `*` or origins as browsers send them (`scheme://host[:port]`): anything else (a trailing slash,
 * a path) never equals an `Origin` header, and the browser would block every request unexplained.
 */
function parseOrigins(value: string, problems: string[]): string[] | '*' {
  if (value.trim() === '*') return '*'
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
  for (const origin of origins) {
    if (!isHttpUrl(origin) || new URL(origin).origin !== origin) {
      const suggestion = isHttpUrl(origin) ? ` (did you mean "${new URL(origin).origin}"?)` : ''
      problems.push(`FERRY_CORS_ORIGINS must be * or origins like https://app.example.com, got "${origin}"${suggestion}`)
    }
  }
  return origins
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}
