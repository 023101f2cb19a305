import {
  defaultPromotionPolicy,
  FILE_CATEGORIES,
  type FileCategory,
  type PromotionPolicy,
  S3_OBJECT_ACLS,
  S3_STORAGE_CLASSES,
  type S3StorageClass,
  type ServerSideEncryption,
} from '../promotion/types.js'
import type { EnvironmentReaders } from './environmentReaders.js'

const MIB = 1024 * 1024
const GIB = 1024 * MIB
/** `directive` or `directive=value`, comma-separated; nothing that could end a header. */
const CACHE_CONTROL =
  /^[a-z-]+(=("[^"\r\n]*"|[a-z0-9-]+))?(\s*,\s*[a-z-]+(=("[^"\r\n]*"|[a-z0-9-]+))?)*$/i
const S3_ONLY = 'applies to the S3 store (FERRY_STORE=s3)'

/** The promotion variables (`FERRY_PROMOTE`, `FERRY_CACHE_CONTROL*`, `FERRY_STORAGE_CLASS*`, …). */
export function loadPromotionConfig(
  read: EnvironmentReaders,
  problems: string[],
  storeKind: 'disk' | 's3',
): PromotionPolicy {
  const defaults = defaultPromotionPolicy
  const suffixOf = (category: FileCategory) => `_${category.toUpperCase()}`

  const fallbackCacheControl = readCacheControl(
    read,
    problems,
    'FERRY_CACHE_CONTROL',
    defaults.cacheControl.others,
  )
  const cacheControl = Object.fromEntries(
    FILE_CATEGORIES.map((category) => {
      const fallback = category === 'images' ? defaults.cacheControl.images : fallbackCacheControl
      return [
        category,
        readCacheControl(read, problems, `FERRY_CACHE_CONTROL${suffixOf(category)}`, fallback),
      ]
    }),
  ) as Record<FileCategory, string>

  const storageClass: Partial<Record<FileCategory, S3StorageClass>> = {}
  const anyStorageClass = readStorageClass(read, problems, 'FERRY_STORAGE_CLASS')
  for (const category of FILE_CATEGORIES) {
    const value =
      readStorageClass(read, problems, `FERRY_STORAGE_CLASS${suffixOf(category)}`) ??
      anyStorageClass
    if (value) storageClass[category] = value
  }

  const sse = read.oneOf('FERRY_SSE', ['none', 'AES256', 'aws:kms'] as const, 'none')
  const kmsKeyId = read.optional('FERRY_SSE_KMS_KEY_ID')
  if (kmsKeyId !== undefined && sse !== 'aws:kms')
    problems.push('FERRY_SSE_KMS_KEY_ID needs FERRY_SSE=aws:kms')
  const encryption: ServerSideEncryption | undefined =
    sse === 'AES256'
      ? { kind: 'AES256' }
      : sse === 'aws:kms'
        ? { kind: 'aws:kms', ...(kmsKeyId ? { kmsKeyId } : {}) }
        : undefined
  const aclValue = read.optional('FERRY_ACL')
  const acl =
    aclValue === undefined ? undefined : read.oneOf('FERRY_ACL', S3_OBJECT_ACLS, 'private')

  if (storeKind === 'disk') {
    const s3Only = [
      ...(Object.keys(storageClass).length > 0 ? ['FERRY_STORAGE_CLASS'] : []),
      ...(encryption ? ['FERRY_SSE'] : []),
      ...(acl ? ['FERRY_ACL'] : []),
    ]
    for (const name of s3Only) {
      problems.push(
        `${name} ${S3_ONLY}${name === 'FERRY_SSE' ? '; on disk use FERRY_ENCRYPTION_KEY' : ''}`,
      )
    }
  }

  return {
    enabled: read.boolean('FERRY_PROMOTE', defaults.enabled),
    cacheControl,
    storageClass,
    encryption,
    acl,
    recordClientInfo: read.boolean('FERRY_RECORD_CLIENT_INFO', defaults.recordClientInfo),
    multipartCopyThreshold: read.integer(
      'FERRY_S3_COPY_THRESHOLD',
      defaults.multipartCopyThreshold,
      {
        min: 5 * MIB,
        max: 5 * GIB,
      },
    ),
    copyPartSize: read.integer('FERRY_S3_COPY_PART_SIZE', defaults.copyPartSize, {
      min: 5 * MIB,
      max: 5 * GIB,
    }),
  }
}

function readCacheControl(
  read: EnvironmentReaders,
  problems: string[],
  name: string,
  fallback: string,
): string {
  const value = read.optional(name)
  if (value === undefined) return fallback
  if (CACHE_CONTROL.test(value)) return value
  problems.push(
    `${name} must be Cache-Control directives such as "max-age=3600" or "no-cache", got "${value}"`,
  )
  return fallback
}

function readStorageClass(
  read: EnvironmentReaders,
  problems: string[],
  name: string,
): S3StorageClass | undefined {
  const value = read.optional(name)
  if (value === undefined) return undefined
  if ((S3_STORAGE_CLASSES as readonly string[]).includes(value)) return value as S3StorageClass
  const archived = value === 'GLACIER' || value === 'DEEP_ARCHIVE'
  problems.push(
    archived
      ? `${name}=${value} is not allowed: objects in it need a restore before they can be downloaded or processed (GLACIER_IR reads at once)`
      : `${name} must be one of ${S3_STORAGE_CLASSES.join(', ')}, got "${value}"`,
  )
  return undefined
}
