import { type ImageFormat, encodeImage, imageFormats } from './imageFormats.js'
import { type OpenImageOptions, defaultOpenImageOptions, openImage } from './openImage.js'
import { requireInRange, withStepErrors } from './stepErrors.js'
import type { StepOutput } from './types.js'
import { withDefaults } from './withDefaults.js'

/**
 * Options for `compress`; each quality is 1 to 100.
 * @example compress(bytes, { jpegQuality: 75, suffix: '_small' })
 */
export interface CompressOptions extends OpenImageOptions {
  /** Progressive, with mozjpeg's encoder settings. @default 85 */
  jpegQuality: number
  /** 100 keeps PNG lossless (zlib level 9); lower quantises to a palette. @default 100 */
  pngQuality: number
  /** @default 80 */
  webpQuality: number
  /** @default 50 */
  avifQuality: number
  /** @default '_compressed' */
  suffix: string
}

/**
 * The defaults `compress` merges its options over.
 * @example defaultCompressOptions.jpegQuality // 85
 */
export const defaultCompressOptions: CompressOptions = {
  ...defaultOpenImageOptions,
  jpegQuality: imageFormats.jpeg.quality,
  pngQuality: imageFormats.png.quality,
  webpQuality: imageFormats.webp.quality,
  avifQuality: imageFormats.avif.quality,
  suffix: '_compressed',
}

/**
 * Why `compress` produced nothing: the original is kept as it is.
 * @example if (result.status === 'skipped' && result.reason === 'larger') keepOriginal()
 */
export type CompressSkipReason = 'larger' | 'unsupported-format' | 'animated' | 'high-bit-depth'

/**
 * The sizes behind a compression decision; the ratio is original ÷ compressed.
 * @example log(`saved ${result.originalBytes - result.compressedBytes} bytes`)
 */
export interface CompressionSizes {
  originalBytes: number
  compressedBytes: number
  compressionRatio: number
}

/**
 * A smaller re-encoding, or the reason there is none.
 * @example const saved = result.status === 'compressed' ? result.compressionRatio : 1
 */
export type CompressResult =
  | ({ status: 'compressed'; output: StepOutput } & CompressionSizes)
  | ({ status: 'skipped'; reason: 'larger' } & CompressionSizes)
  | { status: 'skipped'; reason: Exclude<CompressSkipReason, 'larger'>; originalBytes: number }

/**
 * Re-encodes an image in its own format at the configured quality and keeps the result only
 * when it is smaller than the original.
 * @example
 * const result = await compress(bytes)
 * if (result.status === 'compressed') await save(result.output)
 */
export async function compress(
  input: Buffer,
  options: Partial<CompressOptions> = {},
): Promise<CompressResult> {
  const step = 'compress'
  const settings = withDefaults(defaultCompressOptions, options)
  const qualities: Record<ImageFormat, number> = {
    jpeg: settings.jpegQuality,
    png: settings.pngQuality,
    webp: settings.webpQuality,
    avif: settings.avifQuality,
  }
  for (const [format, value] of Object.entries(qualities)) {
    requireInRange({ step, name: `${format}Quality`, value, min: 1, max: 100, integer: true })
  }
  const originalBytes = input.length
  return withStepErrors(step, async () => {
    const opened = await openImage(input, { ...settings, step })
    const { format } = opened
    if (format === 'gif' || format === 'tiff') {
      return { status: 'skipped', reason: 'unsupported-format', originalBytes }
    }
    // Only the first frame would be re-encoded; dropping the animation is not compression.
    if ((opened.metadata.pages ?? 1) > 1) {
      return { status: 'skipped', reason: 'animated', originalBytes }
    }
    // A 16-bit PNG would come out 8-bit: smaller by the precision it lost, which is not lossless.
    if (format === 'png' && /16$|^ushort$/.test(String(opened.metadata.depth ?? ''))) {
      return { status: 'skipped', reason: 'high-bit-depth', originalBytes }
    }
    const quality = qualities[format]
    const output = await encodeImage(opened.image, { format, quality, suffix: settings.suffix })
    const compressedBytes = output.bytes.length
    const compressionRatio = originalBytes / compressedBytes
    const sizes = { originalBytes, compressedBytes, compressionRatio }
    if (compressedBytes >= originalBytes) return { status: 'skipped', reason: 'larger', ...sizes }
    return { status: 'compressed', output: { ...output, info: { ...sizes } }, ...sizes }
  })
}
