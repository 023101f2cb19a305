import { randomUUID } from 'node:crypto'
import type { PutObjectCommandInput, S3 } from '@aws-sdk/client-s3'
import type { Logger } from 'pino'
import { FILE_CATEGORIES, type PromotionPolicy } from './types.js'

export interface S3SupportCheckOptions {
  client: S3
  bucket: string
  policy: PromotionPolicy
  logger: Logger
}

/** Where the probes go: the server's own prefix, next to its documents. */
const PROBE_PREFIX = 'ferry/promotion-probe/'
/** Codes of an endpoint that does not take a header (rather than one that is down or denies all). */
const REFUSALS = new Set([
  'NotImplemented',
  'InvalidStorageClass',
  'InvalidArgument',
  'InvalidRequest',
  'AccessControlListNotSupported',
  'KMS.NotFoundException',
  'KMS.DisabledException',
])

/**
 * Finds out at start-up which of the configured storage classes, ACL and encryption the endpoint
 * accepts, with one empty object per setting (deleted at once), so that no upload fails on it
 * later. S3-compatible servers differ here: OpenStack Swift's s3api takes only `STANDARD`, has
 * no server-side encryption without its encryption middleware, and takes canned ACLs without
 * applying them to objects. A refused storage class or ACL is dropped with a warning (both are
 * hints about cost and visibility); refused encryption stops the start, since storing files
 * unencrypted that the configuration says to encrypt is not a fallback anyone wants silently.
 * @returns the policy without what the endpoint refused
 */
export async function checkS3Support({
  client,
  bucket,
  policy,
  logger,
}: S3SupportCheckOptions): Promise<PromotionPolicy> {
  const refusalOf = async (
    headers: Partial<PutObjectCommandInput>,
  ): Promise<string | undefined> => {
    const key = `${PROBE_PREFIX}${randomUUID()}`
    try {
      await client.putObject({ Bucket: bucket, Key: key, Body: new Uint8Array(0), ...headers })
    } catch (error) {
      const { name = '', message = '' } = error as { name?: string; message?: string }
      if (REFUSALS.has(name)) return `${name}: ${message}`
      throw new Error(
        `ferry-server: checking what the S3 endpoint accepts failed (${name || String(error)})`,
        {
          cause: error,
        },
      )
    }
    await client.deleteObject({ Bucket: bucket, Key: key })
    return undefined
  }

  const checked: PromotionPolicy = { ...policy, storageClass: { ...policy.storageClass } }
  if (policy.encryption) {
    const { kind } = policy.encryption
    const kmsKeyId = policy.encryption.kind === 'aws:kms' ? policy.encryption.kmsKeyId : undefined
    const refusal = await refusalOf({
      ServerSideEncryption: kind,
      ...(kmsKeyId ? { SSEKMSKeyId: kmsKeyId } : {}),
    })
    if (refusal) {
      throw new Error(
        `ferry-server: FERRY_SSE=${kind}: the S3 endpoint refused server-side encryption (${refusal}); ` +
          "leave FERRY_SSE unset to rely on the bucket's own encryption, or enable encryption at the endpoint",
      )
    }
  }
  for (const storageClass of new Set(Object.values(policy.storageClass))) {
    const refusal = await refusalOf({ StorageClass: storageClass })
    if (!refusal) continue
    const categories = FILE_CATEGORIES.filter(
      (category) => policy.storageClass[category] === storageClass,
    )
    for (const category of categories) delete checked.storageClass[category]
    logger.warn(
      { storageClass, categories, refusal },
      `the S3 endpoint refuses storage class ${storageClass} (FERRY_STORAGE_CLASS*); ` +
        "promoted files of these categories get the bucket's default class",
    )
  }
  if (policy.acl) {
    const refusal = await refusalOf({ ACL: policy.acl })
    if (refusal) {
      checked.acl = undefined
      logger.warn(
        { acl: policy.acl, refusal },
        `the S3 endpoint refuses the canned ACL ${policy.acl} (FERRY_ACL); promoted files get the bucket's default access`,
      )
    }
  }
  return checked
}
