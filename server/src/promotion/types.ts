import type { FileRecord } from '../storage/types.js'

/** The folders promoted files are sorted into, from their content type. */
export const FILE_CATEGORIES = ['images', 'videos', 'documents', 'archives', 'others'] as const
export type FileCategory = (typeof FILE_CATEGORIES)[number]

/**
 * Storage classes whose objects can be read at once. GLACIER and DEEP_ARCHIVE are left out: their
 * objects need a restore before a download or a processing job could read them.
 */
export const S3_STORAGE_CLASSES = [
  'STANDARD',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'REDUCED_REDUNDANCY',
  'EXPRESS_ONEZONE',
  'OUTPOSTS',
] as const
export type S3StorageClass = (typeof S3_STORAGE_CLASSES)[number]

/** Canned ACLs that mean something for one object (`public-read-write` does not). */
export const S3_OBJECT_ACLS = [
  'private',
  'public-read',
  'authenticated-read',
  'aws-exec-read',
  'bucket-owner-read',
  'bucket-owner-full-control',
] as const
export type S3ObjectAcl = (typeof S3_OBJECT_ACLS)[number]

/** Server-side encryption of promoted objects on S3. */
export type ServerSideEncryption = { kind: 'AES256' } | { kind: 'aws:kms'; kmsKeyId?: string }

/** How finished uploads are named and stored under their canonical keys (`FERRY_PROMOTE`, …). */
export interface PromotionPolicy {
  /**
   * Promote accepted uploads to `uploads/{user}/{category}/{yyyy}/{mm}/{dd}/{id}{ext}`.
   * @default true
   */
  enabled: boolean
  /**
   * Cache-Control of promoted objects, by category.
   * @default images `max-age=31536000, immutable`, the others `max-age=3600`
   */
  cacheControl: Record<FileCategory, string>
  /** S3 storage class by category; the bucket's default where none is set. @default {} */
  storageClass: Partial<Record<FileCategory, S3StorageClass>>
  /** S3 server-side encryption; the bucket's default when `undefined`. @default undefined */
  encryption?: ServerSideEncryption
  /** S3 canned ACL of promoted objects; the bucket's default when `undefined`. @default undefined */
  acl?: S3ObjectAcl
  /**
   * Keep the finishing request's User-Agent and client IP in the object's metadata (the IP only
   * behind a trusted proxy, from `X-Forwarded-For`/`Forwarded`).
   * @default false
   */
  recordClientInfo: boolean
  /** Objects larger than this are copied part by part (UploadPartCopy). @default 5 GiB */
  multipartCopyThreshold: number
  /** Bytes per part of a multipart copy, raised when 10 000 parts would not cover the object. @default 512 MiB */
  copyPartSize: number
}

const MIB = 1024 * 1024

export const defaultPromotionPolicy: PromotionPolicy = {
  enabled: true,
  cacheControl: {
    images: 'max-age=31536000, immutable',
    videos: 'max-age=3600',
    documents: 'max-age=3600',
    archives: 'max-age=3600',
    others: 'max-age=3600',
  },
  storageClass: {},
  encryption: undefined,
  acl: undefined,
  recordClientInfo: false,
  multipartCopyThreshold: 5 * 1024 * MIB,
  copyPartSize: 512 * MIB,
}

/** What a promoted file's record remembers about how its object was stored. */
export type PromotionDetails = NonNullable<FileRecord['promoted']>
