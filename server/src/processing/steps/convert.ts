import { type OutputFormat, chooseFormat, encodeImage, requireEncoding } from './imageFormats.js'
import { type OpenImageOptions, defaultOpenImageOptions, openImage } from './openImage.js'
import { withStepErrors } from './stepErrors.js'
import type { StepOutput } from './types.js'
import { withDefaults } from './withDefaults.js'

/**
 * Options for `convert`.
 * @example convert(bytes, { format: 'avif', quality: 45 })
 */
export interface ConvertOptions extends OpenImageOptions {
  /** `'auto'` keeps the input's format, only making it upright and stripped. @default 'webp' */
  format: OutputFormat
  /** 1 to 100. @default the format's own: jpeg 85, webp 80, avif 50, png 100 (lossless) */
  quality?: number
  /**
   * Not empty, so converting to the input's own format cannot overwrite the original.
   * @default '_converted'
   */
  suffix: string
}

/**
 * The defaults `convert` merges its options over.
 * @example defaultConvertOptions.format // 'webp'
 */
export const defaultConvertOptions: ConvertOptions = {
  ...defaultOpenImageOptions,
  format: 'webp',
  suffix: '_converted',
}

/**
 * Re-encodes an image as WebP, AVIF, PNG or JPEG, upright and without metadata.
 * @example
 * const { bytes, contentType } = await convert(jpegBytes, { format: 'avif', quality: 45 })
 */
export async function convert(
  input: Buffer,
  options: Partial<ConvertOptions> = {},
): Promise<StepOutput> {
  const step = 'convert'
  const settings = withDefaults(defaultConvertOptions, options)
  const { quality, suffix } = settings
  requireEncoding({ step, format: settings.format, quality })
  return withStepErrors(step, async () => {
    const opened = await openImage(input, { ...settings, step })
    const format = chooseFormat(settings.format, opened)
    // JPEG has no alpha: transparent pixels go onto white, not libvips' default black.
    const image = format === 'jpeg' && opened.metadata.hasAlpha ? opened.image.flatten({ background: '#ffffff' }) : opened.image
    return encodeImage(image, { format, quality, suffix })
  })
}
