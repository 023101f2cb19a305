import { ERROR_CODES, type ErrorCode } from '@ferry/protocol'
import type { Upload } from '@tus/utils'
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
 * The upload policy at the three points it applies: the rate limit before a creation reaches tus,
 * the declared type, size and name at creation, and the real type of the first bytes received.
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
    metadataAtCreation(upload: Upload, tier: string | null): Record<string, string | null> {
      const metadata = { ...(upload.metadata ?? {}) }
      if (typeof metadata.filename === 'string') metadata.filename = sanitizeFilename(metadata.filename)
      if (!enabled) return metadata
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
