/** A user's upload plan; each grants a set of types and a maximum size. */
export type Tier = 'basic' | 'premium' | 'enterprise'

/** What one tier may upload. */
export interface TierPolicy {
  /** MIME types, without parameters; aliases (see `canonicalType`) need not be listed. */
  allowedTypes: readonly string[]
  /** Largest upload in bytes. */
  maxSize: number
}

/** The policy of every tier. */
export type TierPolicies = Record<Tier, TierPolicy>

const MiB = 1024 ** 2
const GiB = 1024 ** 3

const basicTypes = ['image/jpeg', 'image/png', 'image/gif', 'application/pdf']
const premiumTypes = [
  ...basicTypes,
  'video/mp4',
  'video/quicktime',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
]
const enterpriseTypes = [...premiumTypes, 'application/zip', 'application/vnd.rar']

/**
 * The seed's tiers: basic takes images and PDF up to 10 MiB, premium adds video and Word up to
 * 2 GiB, enterprise adds ZIP and RAR up to 10 GiB.
 * @example
 * const policies: TierPolicies = {
 *   ...defaultTierPolicies,
 *   basic: { ...defaultTierPolicies.basic, maxSize: 5 * 1024 ** 2 },
 * }
 */
export const defaultTierPolicies: TierPolicies = {
  basic: { allowedTypes: basicTypes, maxSize: 10 * MiB },
  premium: { allowedTypes: premiumTypes, maxSize: 2 * GiB },
  enterprise: { allowedTypes: enterpriseTypes, maxSize: 10 * GiB },
}

/**
 * Names of the same type that clients and sniffers use. RAR predates its IANA registration, so
 * browsers, file-type and older tools still say `application/x-rar-compressed`.
 */
const aliases: Readonly<Record<string, string>> = {
  'application/x-rar-compressed': 'application/vnd.rar',
}

const extensions: Readonly<Record<string, readonly string[]>> = {
  'image/jpeg': ['.jpg', '.jpeg'],
  'image/png': ['.png'],
  'image/gif': ['.gif'],
  'application/pdf': ['.pdf'],
  'video/mp4': ['.mp4'],
  'video/quicktime': ['.mov'],
  'application/msword': ['.doc'],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': ['.docx'],
  'application/zip': ['.zip'],
  'application/vnd.rar': ['.rar'],
}

/**
 * The one name policy compares: lower case, parameters dropped, aliases resolved.
 * @example
 * canonicalType('Application/X-RAR-Compressed; v=5') // 'application/vnd.rar'
 */
export function canonicalType(type: string): string {
  const bare = (type.split(';')[0] ?? '').trim().toLowerCase()
  return aliases[bare] ?? bare
}

/**
 * The filename extensions (lower case, with the dot) a type is saved under; empty for a type
 * policy does not know.
 * @example
 * extensionsOf('image/jpeg') // ['.jpg', '.jpeg']
 */
export function extensionsOf(type: string): readonly string[] {
  return extensions[canonicalType(type)] ?? []
}

/**
 * The type a filename extension stands for, if policy knows it.
 * @example
 * typeOfExtension('.JPEG') // 'image/jpeg'
 */
export function typeOfExtension(extension: string): string | undefined {
  const wanted = extension.toLowerCase()
  return Object.keys(extensions).find((type) => extensions[type]?.includes(wanted))
}

/**
 * Narrows a tier name from a token or configuration.
 * @example
 * const tier = isTier(principal.tier) ? principal.tier : 'basic'
 */
export function isTier(value: unknown): value is Tier {
  return value === 'basic' || value === 'premium' || value === 'enterprise'
}
