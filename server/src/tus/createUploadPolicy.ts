import { ERROR_CODES, type ErrorCode } from '@ferry/protocol'
import type { Upload } from '@tus/utils'
import { TIER_METADATA_KEY } from '../auth/ownership.js'
import { FerryHttpError } from '../errors.js'
import {
  checkContent,
  checkCreation,
  createRateLimiter,
  defaultTierPolicies,
  isTier,
  PolicyError,
  type RateLimiter,
  sanitizeFilename,
  SNIFF_BYTES,
  type Tier,
} from '../policy/index.js'

export interface UploadPolicyOptions {
  /** Enforce the tiers' types and sizes and the rate limit; names are sanitised either way. */
  enabled: boolean
  /** Tier of users whose token names none. */
  defaultTier: Tier
  /** Uploads a user may create per minute; 0 for no limit. */
  uploadsPerMinute: number
  /**
   * Counts the uploads when there is a limit: a Redis-backed one shares it across instances.
   * @default createRateLimiter({ limit: uploadsPerMinute, windowMs: 60_000 }) (this process only)
   */
  rateLimiter?: RateLimiter
}

/**
 * The upload policy at the points it applies: the rate limit before a creation reaches tus, the
 * declared type, size and name at creation, a deferred length once declared, the real type of the
 * first bytes received, and the size and (where no PATCH carried the first bytes) the content of
 * every upload once it is complete.
 */
export function createUploadPolicy({ enabled, defaultTier, uploadsPerMinute, rateLimiter }: UploadPolicyOptions) {
  const limiter: RateLimiter | undefined =
    enabled && uploadsPerMinute > 0
      ? (rateLimiter ?? createRateLimiter({ limit: uploadsPerMinute, windowMs: 60_000 }))
      : undefined
  const tierOf = (tier: string | null | undefined): Tier => (tier && isTier(tier) ? tier : defaultTier)

  return {
    enabled,
    /** Before creation: 429 with Retry-After once a user has created too many uploads. */
    async checkRate(userId: string): Promise<void> {
      const decision = await limiter?.take(userId)
      if (decision && !decision.allowed) {
        throw new FerryHttpError(429, ERROR_CODES.rateLimited, `too many uploads; try again in ${decision.retryAfterSeconds} s`, {
          headers: { 'Retry-After': String(decision.retryAfterSeconds) },
        })
      }
    },
    /** At creation: the metadata to store (with a safe file name), or a refusal. */
    /**
     * A partial upload is a piece of a file, not one: only its length is held to the tier here;
     * the final upload it joins is checked as a file.
     */
    metadataAtCreation(
      upload: Pick<Upload, 'size' | 'metadata'>,
      tier: string | null,
      { partial = false }: { partial?: boolean } = {},
    ): Record<string, string | null> {
      const metadata = { ...(upload.metadata ?? {}) }
      if (typeof metadata.filename === 'string') metadata.filename = sanitizeFilename(metadata.filename)
      if (!enabled) return metadata
      if (partial) {
        if (upload.size !== undefined) this.checkLength({ id: '', metadata: { [TIER_METADATA_KEY]: tier } }, upload.size)
        return metadata
      }
      try {
        checkCreation({
          tier: tierOf(tier),
          declaredType: metadata.filetype ?? undefined,
          size: upload.size,
          filename: metadata.filename ?? undefined,
        })
      } catch (error) {
        throw toHttpError(error)
      }
      return metadata
    },
    /** The first bytes of an upload: refused (and the caller deletes the upload) if they lie. */
    async checkFirstBytes(head: Uint8Array, upload: Upload): Promise<void> {
      if (!enabled) return
      try {
        await checkContent({
          declaredType: upload.metadata?.filetype ?? '',
          head,
          filename: upload.metadata?.filename ?? undefined,
        })
      } catch (error) {
        throw toHttpError(error)
      }
    },
    /**
     * The length of a deferred upload, declared by a PATCH, or the bytes such an upload has
     * reached: refused (413) past the tier's maximum, which creation could not check.
     */
    checkLength(upload: Pick<Upload, 'id' | 'metadata'>, length: number): void {
      if (length <= this.maxLength(upload)) return
      const tier = tierOf(upload.metadata?.[TIER_METADATA_KEY])
      throw new FerryHttpError(
        413,
        ERROR_CODES.tooLarge,
        `${upload.id ? `upload ${upload.id}` : 'the upload'} would be ${length} bytes, over the ${tier} tier's maximum of ${this.maxLength(upload)} bytes`,
      )
    },
    /** The most bytes the upload's tier allows (no limit with the policy off). */
    maxLength(upload: Pick<Upload, 'metadata'>): number {
      if (!enabled) return Number.POSITIVE_INFINITY
      return defaultTierPolicies[tierOf(upload.metadata?.[TIER_METADATA_KEY])].maxSize
    },
    /**
     * When an upload completes: the tier's size limit, and the content, read back from the store
     * (`readHead` reads the first bytes of the complete upload). The PATCH that brought the first
     * bytes judged them already, where one did; this is the guarantee for every way the bytes can
     * arrive: a concatenation's final (its partials are not sniffed), an empty file, a deferred
     * length declared late, an upload completed behind a request that judged other bytes.
     */
    async checkFinished(upload: Upload, readHead: (bytes: number) => Promise<Uint8Array>): Promise<void> {
      if (!enabled) return
      const size = upload.size ?? upload.offset
      this.checkLength(upload, size)
      try {
        await checkContent({
          declaredType: upload.metadata?.filetype ?? '',
          head: size === 0 ? new Uint8Array(0) : await readHead(Math.min(SNIFF_BYTES, size)),
          filename: upload.metadata?.filename ?? undefined,
        })
      } catch (error) {
        throw toHttpError(error)
      }
    },
    sniffBytes: SNIFF_BYTES,
  }
}

export type UploadPolicy = ReturnType<typeof createUploadPolicy>

/** A policy refusal as the HTTP error clients receive; anything else unchanged. */
function toHttpError(error: unknown): unknown {
  if (!(error instanceof PolicyError)) return error
  const message = error.message.replace(/^ferry-server: /, '')
  return new FerryHttpError(error.status, error.code as ErrorCode, message)
}
