export { type CreationRequest, checkCreation } from './checkCreation.js'
export {
  PolicyError,
  type PolicyErrorCode,
  type PolicyErrorStatus,
  policyErrorStatus,
} from './errors.js'
export {
  createRateLimiter,
  defaultRateLimiterOptions,
  type RateDecision,
  type RateLimiter,
  type RateLimiterOptions,
} from './RateLimiter.js'
export {
  defaultSanitizeFilenameOptions,
  type SanitizeFilenameOptions,
  sanitizeFilename,
} from './sanitizeFilename.js'
export {
  type ContentCheck,
  checkContent,
  SNIFF_BYTES,
  type SniffedType,
  sniffContent,
} from './sniffContent.js'
export {
  canonicalType,
  defaultTierPolicies,
  extensionsOf,
  isTier,
  type Tier,
  type TierPolicies,
  type TierPolicy,
  typeOfExtension,
} from './tiers.js'
