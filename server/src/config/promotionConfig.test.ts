import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './loadConfig.js'

const S3 = { FERRY_STORE: 's3', FERRY_S3_BUCKET: 'b' }

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('promotion configuration', () => {
  it('promotes by default, with long-lived images and hour-long others', () => {
    const { promotion } = loadConfig({})
    expect(promotion).toMatchObject({
      enabled: true,
      cacheControl: {
        images: 'max-age=31536000, immutable',
        videos: 'max-age=3600',
        others: 'max-age=3600',
      },
      storageClass: {},
      recordClientInfo: false,
      multipartCopyThreshold: 5 * 1024 ** 3,
    })
    expect(loadConfig({ FERRY_PROMOTE: 'false' }).promotion.enabled).toBe(false)
  })

  it('reads per-category cache control and storage classes over the general ones', () => {
    const { promotion } = loadConfig({
      ...S3,
      FERRY_CACHE_CONTROL: 'no-cache',
      FERRY_CACHE_CONTROL_VIDEOS: 'public, max-age=600',
      FERRY_STORAGE_CLASS: 'STANDARD_IA',
      FERRY_STORAGE_CLASS_IMAGES: 'STANDARD',
      FERRY_SSE: 'aws:kms',
      FERRY_SSE_KMS_KEY_ID: 'alias/uploads',
      FERRY_ACL: 'bucket-owner-full-control',
    })
    expect(promotion.cacheControl).toEqual({
      images: 'max-age=31536000, immutable',
      videos: 'public, max-age=600',
      documents: 'no-cache',
      archives: 'no-cache',
      others: 'no-cache',
    })
    expect(promotion.storageClass).toEqual({
      images: 'STANDARD',
      videos: 'STANDARD_IA',
      documents: 'STANDARD_IA',
      archives: 'STANDARD_IA',
      others: 'STANDARD_IA',
    })
    expect(promotion.encryption).toEqual({ kind: 'aws:kms', kmsKeyId: 'alias/uploads' })
    expect(promotion.acl).toBe('bucket-owner-full-control')
  })

  it('names every bad promotion variable at once', () => {
    const problems = problemsOf({
      ...S3,
      FERRY_PROMOTE: 'sometimes',
      FERRY_CACHE_CONTROL_IMAGES: 'max-age=1\r\nSet-Cookie: a=b',
      FERRY_STORAGE_CLASS_ARCHIVES: 'DEEP_ARCHIVE',
      FERRY_STORAGE_CLASS: 'COLD',
      FERRY_SSE: 'rot13',
      FERRY_SSE_KMS_KEY_ID: 'k',
      FERRY_ACL: 'public-read-write',
      FERRY_S3_COPY_THRESHOLD: '1024',
    })
    expect(problems).toEqual(
      expect.arrayContaining([
        'FERRY_PROMOTE must be true or false, got "sometimes"',
        expect.stringMatching(/^FERRY_CACHE_CONTROL_IMAGES must be Cache-Control directives/),
        expect.stringMatching(
          /^FERRY_STORAGE_CLASS_ARCHIVES=DEEP_ARCHIVE is not allowed: objects in it need a restore/,
        ),
        expect.stringMatching(/^FERRY_STORAGE_CLASS must be one of STANDARD, /),
        'FERRY_SSE must be one of none, AES256, aws:kms, got "rot13"',
        'FERRY_SSE_KMS_KEY_ID needs FERRY_SSE=aws:kms',
        expect.stringMatching(/^FERRY_ACL must be one of private, public-read, /),
        expect.stringMatching(
          /^FERRY_S3_COPY_THRESHOLD must be a whole number from 5242880 to 5368709120/,
        ),
      ]),
    )
  })

  it('refuses S3-only settings on the disk store', () => {
    expect(
      problemsOf({ FERRY_STORAGE_CLASS: 'STANDARD_IA', FERRY_SSE: 'AES256', FERRY_ACL: 'private' }),
    ).toEqual([
      'FERRY_STORAGE_CLASS applies to the S3 store (FERRY_STORE=s3)',
      'FERRY_SSE applies to the S3 store (FERRY_STORE=s3); on disk use FERRY_ENCRYPTION_KEY',
      'FERRY_ACL applies to the S3 store (FERRY_STORE=s3)',
    ])
  })
})
