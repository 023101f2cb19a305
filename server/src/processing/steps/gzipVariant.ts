import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import { requireInRange } from './stepErrors.js'
import type { StepOutput } from './types.js'
import { withDefaults } from './withDefaults.js'

const gzipAsync = promisify(gzip)

/**
 * Options for `gzipVariant`.
 * @example gzipVariant(bytes, { contentType: 'application/json', extension: '.json' })
 */
export interface GzipVariantOptions {
  /** The original's media type; parameters such as `charset` are ignored. @default '' */
  contentType: string
  /**
   * Media types worth compressing: exact (`application/json`), a whole family (`text/*`) or a
   * structured suffix (`*+json`).
   * @default ['text/*', 'application/json', 'application/xml', 'application/javascript',
   *   'image/svg+xml', '*+json', '*+xml']
   */
  compressibleTypes: string[]
  /** The original's extension, kept before `.gz`: `'.json'` gives `'.json.gz'`. @default '' */
  extension: string
  /** zlib level, 1 (fastest) to 9 (smallest). @default 9 */
  level: number
  /** @default '' */
  suffix: string
}

/**
 * The defaults `gzipVariant` merges its options over.
 * @example defaultGzipVariantOptions.level // 9
 */
export const defaultGzipVariantOptions: GzipVariantOptions = {
  contentType: '',
  compressibleTypes: [
    'text/*',
    'application/json',
    'application/xml',
    'application/javascript',
    'image/svg+xml',
    '*+json',
    '*+xml',
  ],
  extension: '',
  level: 9,
  suffix: '',
}

function matches(mediaType: string, pattern: string): boolean {
  if (pattern.endsWith('/*')) return mediaType.startsWith(pattern.slice(0, -1))
  if (pattern.startsWith('*+')) return mediaType.endsWith(pattern.slice(1))
  return mediaType === pattern
}

/**
 * A gzip-encoded copy of a text or JSON upload, to serve with `Content-Encoding: gzip` to
 * clients that accept it. Resolves to no output when the type is not compressible or gzip
 * would not make the file smaller.
 * @example
 * const [variant] = await gzipVariant(bytes, { contentType: 'text/csv', extension: '.csv' })
 */
export async function gzipVariant(
  input: Buffer,
  options: Partial<GzipVariantOptions> = {},
): Promise<StepOutput[]> {
  const settings = withDefaults(defaultGzipVariantOptions, options)
  const { level, contentType } = settings
  const rule = { step: 'gzipVariant', name: 'level', value: level, min: 1, max: 9, integer: true }
  requireInRange(rule)
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase()
  const patterns = settings.compressibleTypes.map((pattern) => pattern.toLowerCase())
  if (!patterns.some((pattern) => matches(mediaType, pattern))) return []
  const bytes = await gzipAsync(input, { level })
  if (bytes.length >= input.length) return []
  const info = {
    originalBytes: input.length,
    compressedBytes: bytes.length,
    compressionRatio: input.length / bytes.length,
  }
  return [
    {
      suffix: settings.suffix,
      extension: `${settings.extension}.gz`,
      contentType,
      contentEncoding: 'gzip',
      bytes,
      info,
    },
  ]
}
