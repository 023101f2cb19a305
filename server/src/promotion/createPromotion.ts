import { ERROR_CODES } from '@ferry/protocol'
import type { Logger } from 'pino'
import { FerryHttpError } from '../errors.js'
import { SNIFF_BYTES, type SniffedType, sniffContent } from '../policy/sniffContent.js'
import type { FileRecord, StorageBackend } from '../storage/types.js'
import { canonicalKeyOf } from './canonicalKey.js'
import { categoryOf } from './categories.js'
import { clientInfoOf } from './clientInfo.js'
import { promotedTypeOf } from './contentTypeOf.js'
import type { ObjectPromoter, PromotionPlan } from './ObjectPromoter.js'
import { promotedMetadataOf } from './objectMetadata.js'
import type { PromotionPolicy } from './types.js'

export interface PromotionOptions {
  backend: StorageBackend
  policy: PromotionPolicy
  /** What the store does: `createDiskPromoter` or `createS3Promoter`. */
  promoter: ObjectPromoter
  logger: Logger
  /** Client IPs come from `X-Forwarded-For`/`Forwarded` only behind a trusted proxy. @default false */
  trustProxy?: boolean
  /** Told how each promotion attempt ended and how long it took (for metrics). */
  onAttempt?: (result: 'promoted' | 'failed', seconds: number) => void
}

/** Names accepted files and stores them under their canonical keys. */
export interface Promotion {
  /**
   * The record with its canonical key, after putting the file there (copy on S3, hard link on
   * disk, with Content-Type, Cache-Control and metadata). Quarantined and rejected files, and
   * every file while promotion is off, come back as they are. Safe to call again: a promoted
   * record is returned as is, and a failed promotion leaves the upload and its record untouched.
   * @throws FerryHttpError 503 `promotion-failed` when the store failed; calling again retries.
   */
  promote(record: FileRecord, request?: Request): Promise<FileRecord>
  /** Removes a promoted file's object (and sidecar); nothing for a record never promoted. */
  remove(record: FileRecord): Promise<void>
}

const RETRY_AFTER_SECONDS = '5'

/**
 * Promotion of accepted uploads, the same on every store: sniff the type from the stored first
 * bytes (a ranged read, never the whole file), build the key and headers from the policy, let the
 * store's promoter place the bytes, then save the record with its new key. Only after that is the
 * tus copy released, so a crash at any point leaves a record that names bytes that exist.
 */
export function createPromotion({
  backend,
  policy,
  promoter,
  logger,
  trustProxy = false,
  onAttempt,
}: PromotionOptions): Promotion {
  async function sniffStored(key: string, size: number): Promise<SniffedType | undefined> {
    if (size === 0) return undefined
    const stream = await backend.objects.read(key, {
      start: 0,
      end: Math.min(size, SNIFF_BYTES) - 1,
    })
    const chunks: Buffer[] = []
    for await (const chunk of stream) chunks.push(chunk as Buffer)
    // Bytes crafted to break the sniffer make an unrecognised file, not a failed promotion.
    return sniffContent(Buffer.concat(chunks)).catch(() => undefined)
  }

  async function planFor(record: FileRecord, request: Request | undefined): Promise<PromotionPlan> {
    const sourceKey = backend.keyOf(record.id)
    const sniffed = await sniffStored(sourceKey, record.size)
    const { contentType, extension } = promotedTypeOf({ sniffed, declared: record.type })
    const category = categoryOf(contentType)
    const client = policy.recordClientInfo ? clientInfoOf(request, { trustProxy }) : {}
    const storageClass = backend.kind === 's3' ? policy.storageClass[category] : undefined
    return {
      sourceKey,
      // The finishing time, not the clock: a retry on another day builds the same key.
      key: canonicalKeyOf({
        user: record.owner,
        category,
        finishedAt: new Date(record.finishedAt),
        id: record.id,
        extension,
      }),
      size: record.size,
      contentType,
      cacheControl: policy.cacheControl[category],
      ...(storageClass ? { storageClass } : {}),
      metadata: promotedMetadataOf(record, client),
      promotedAt: new Date().toISOString(),
    }
  }

  return {
    async promote(record, request) {
      if (!policy.enabled || record.state === 'quarantined' || record.state === 'rejected')
        return record
      const sourceKey = backend.keyOf(record.id)
      if (record.promoted) {
        // A crash after the record was saved may have left the tus copy behind.
        await promoter.releaseSource(sourceKey).catch(() => undefined)
        return record
      }
      let plan: PromotionPlan | undefined
      const started = performance.now()
      const seconds = () => (performance.now() - started) / 1000
      try {
        plan = await planFor(record, request)
        await promoter.promote(plan)
        const { contentType, cacheControl, promotedAt } = plan
        const promoted: FileRecord = {
          ...record,
          key: plan.key,
          promoted: { contentType, cacheControl, promotedAt },
        }
        await backend.records.put(promoted)
        await promoter
          .releaseSource(sourceKey)
          .catch((error: unknown) =>
            logger.warn(
              { err: error, uploadId: record.id, sourceKey },
              'the tus copy of a promoted file was not deleted; the next finish retries',
            ),
          )
        logger.info({ uploadId: record.id, key: plan.key, contentType }, 'upload promoted')
        onAttempt?.('promoted', seconds())
        return promoted
      } catch (error) {
        // Another finish of the same upload may have promoted it meanwhile, and released the source.
        const current = await backend.records.get(record.id).catch(() => undefined)
        if (current?.promoted) return current
        onAttempt?.('failed', seconds())
        logger.error(
          { err: error, uploadId: record.id, key: plan?.key },
          'promoting an upload failed',
        )
        throw new FerryHttpError(
          503,
          ERROR_CODES.promotionFailed,
          `upload ${record.id} is stored and ${record.state}, but storing it under ${plan?.key ?? 'its canonical key'} ` +
            `failed (${error instanceof Error ? error.message : String(error)}); finish it again ` +
            '(a zero-length PATCH at its final offset) to retry',
          { cause: error, headers: { 'Retry-After': RETRY_AFTER_SECONDS } },
        )
      }
    },
    async remove(record) {
      if (record.promoted) await promoter.remove(record.key)
    },
  }
}
