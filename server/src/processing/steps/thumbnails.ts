import { type OutputFormat, chooseFormat, encodeImage, requireEncoding } from './imageFormats.js'
import { type OpenImageOptions, defaultOpenImageOptions, openImage } from './openImage.js'
import { requireInRange, withStepErrors } from './stepErrors.js'
import { ProcessingStepError, type StepOutput } from './types.js'
import { withDefaults } from './withDefaults.js'

/**
 * Options for `thumbnails`.
 * @example thumbnails(bytes, { sizes: [64, 128], fit: 'inside', format: 'webp' })
 */
export interface ThumbnailsOptions extends OpenImageOptions {
  /** Edge lengths in pixels; each thumbnail is a `size` × `size` box. @default [150, 300, 600] */
  sizes: number[]
  /** `'cover'` crops to fill the square, `'inside'` fits the whole image in it. @default 'cover' */
  fit: 'cover' | 'inside'
  /** @default 'auto' (the input's format; GIF and TIFF become PNG or JPEG) */
  format: OutputFormat
  /** 1 to 100. @default the format's own: jpeg 85, webp 80, avif 50, png 100 (lossless) */
  quality?: number
}

/**
 * The defaults `thumbnails` merges its options over.
 * @example defaultThumbnailsOptions.sizes // [150, 300, 600]
 */
export const defaultThumbnailsOptions: ThumbnailsOptions = {
  ...defaultOpenImageOptions,
  sizes: [150, 300, 600],
  fit: 'cover',
  format: 'auto',
}

/** Past this a "thumbnail" is a resized copy, and a typo would allocate a huge canvas. */
const largestSize = 4096

function requireThumbnailOptions(step: string, settings: ThumbnailsOptions): void {
  const { sizes, fit, format, quality } = settings
  for (const size of sizes) {
    requireInRange({ step, name: 'sizes', value: size, min: 1, max: largestSize, integer: true })
  }
  if (fit !== 'cover' && fit !== 'inside') {
    const reason = `option fit must be 'cover' or 'inside', got ${String(fit)}`
    throw new ProcessingStepError('invalid-options', step, reason)
  }
  requireEncoding({ step, format, quality })
}

/**
 * Makes one square thumbnail per size, upright and without metadata, suffixed `_thumb_<size>`.
 * @example
 * const outputs = await thumbnails(bytes, { sizes: [300], format: 'webp' })
 * outputs[0]?.suffix // '_thumb_300'
 */
export async function thumbnails(
  input: Buffer,
  options: Partial<ThumbnailsOptions> = {},
): Promise<StepOutput[]> {
  const step = 'thumbnails'
  const settings = withDefaults(defaultThumbnailsOptions, options)
  requireThumbnailOptions(step, settings)
  return withStepErrors(step, async () => {
    const opened = await openImage(input, { ...settings, step })
    const format = chooseFormat(settings.format, opened)
    const { fit, quality } = settings
    // Sequential on purpose: each clone decodes the input again, and the queue already runs
    // several jobs side by side.
    const outputs: StepOutput[] = []
    for (const size of settings.sizes) {
      const resized = opened.image.clone().resize({ width: size, height: size, fit })
      outputs.push(await encodeImage(resized, { format, quality, suffix: `_thumb_${size}` }))
    }
    return outputs
  })
}
