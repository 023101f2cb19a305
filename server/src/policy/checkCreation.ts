import { PolicyError } from './errors.js'
import { sanitizeFilename } from './sanitizeFilename.js'
import {
  canonicalType,
  defaultTierPolicies,
  extensionsOf,
  type Tier,
  type TierPolicies,
  type TierPolicy,
  typeOfExtension,
} from './tiers.js'

/** What a client asks to upload, as known when the upload is created. */
export interface CreationRequest {
  /** The uploading user's tier. */
  tier: Tier
  /** The MIME type the client declared (tus `filetype` metadata); required. */
  declaredType?: string | undefined
  /** `Upload-Length` in bytes; `undefined` while the length is deferred. */
  size?: number | undefined
  /** The client's filename (tus `filename` metadata), raw; its extension must fit the type. */
  filename?: string | undefined
}

/**
 * Refuses an upload at creation when its declared type is missing or not in the tier (415), it
 * is larger than the tier allows (413), or its filename's extension belongs to another type
 * (415). A deferred length passes here; the size is checked again once it is known. Only the
 * declaration is checked: `checkContent` verifies the bytes once the first ones arrive.
 * @example
 * checkCreation({ tier: 'basic', declaredType: 'image/png', size: 5120, filename: 'cat.png' })
 */
export function checkCreation(
  request: CreationRequest,
  policies: TierPolicies = defaultTierPolicies,
): void {
  const { tier, declaredType, size, filename } = request
  // Tiers come from tokens and configuration: a tier with no policy is the server's mistake.
  const policy: TierPolicy | undefined = policies[tier]
  if (policy === undefined) {
    throw new RangeError(`ferry-server: no upload policy for tier ${JSON.stringify(tier)}`)
  }
  if (filename !== undefined && typeof filename !== 'string') {
    throw new PolicyError('invalid-filename', `filename must be a string, got ${typeof filename}`)
  }
  const subject = filename === undefined ? 'the upload' : JSON.stringify(filename)
  const allowed = `the ${tier} tier allows ${policy.allowedTypes.join(', ')}`
  if (declaredType === undefined || declaredType.trim() === '') {
    throw new PolicyError('type-not-allowed', `${subject} declares no type; ${allowed}`)
  }
  const type = canonicalType(declaredType)
  if (!policy.allowedTypes.some((allowedType) => canonicalType(allowedType) === type)) {
    throw new PolicyError(
      'type-not-allowed',
      `${subject} is declared ${declaredType}, which is not allowed; ${allowed}`,
    )
  }
  if (size !== undefined && size > policy.maxSize) {
    throw new PolicyError(
      'too-large',
      `${subject} is ${size} bytes, over the ${tier} tier's maximum of ${policy.maxSize} bytes ` +
        `(${formatBytes(policy.maxSize)})`,
    )
  }
  if (filename !== undefined) checkExtension(filename, type)
}

/**
 * A name with no extension, or a type policy has no extensions for, says nothing; any other
 * extension must be one of the declared type's. The sanitised name is judged, since that is
 * the name the file is served under (`x.exe.` is `x.exe` once the trailing dot goes).
 */
function checkExtension(filename: string, type: string): void {
  const name = sanitizeFilename(filename)
  const dot = name.lastIndexOf('.')
  const expected = extensionsOf(type)
  if (dot <= 0 || expected.length === 0) return
  const extension = name.slice(dot).toLowerCase()
  if (expected.includes(extension)) return
  const named = typeOfExtension(extension)
  const actually = named === undefined ? '' : `, which is the extension of ${named}`
  throw new PolicyError(
    'content-mismatch',
    `${JSON.stringify(filename)} is declared ${type} but ends in ${extension}${actually}; ` +
      `${type} files end in ${expected.join(' or ')}`,
  )
}

/** `10485760` as `10 MiB`: limits are round numbers of binary units. */
function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${Number(value.toFixed(1))} ${units[unit] ?? 'bytes'}`
}
