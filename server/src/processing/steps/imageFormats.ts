import type { Sharp } from 'sharp'
import type { OpenedImage } from './openImage.js'
import { requireInRange } from './stepErrors.js'
import { ProcessingStepError, type StepOutput } from './types.js'

/**
 * The formats a step writes.
 * @example convert(bytes, { format: 'avif' satisfies ImageFormat })
 */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'avif'

/**
 * A format to write, or `'auto'`: the input's own, see `chooseFormat`.
 * @example thumbnails(bytes, { format: 'auto' satisfies OutputFormat })
 */
export type OutputFormat = ImageFormat | 'auto'

/**
 * Extension, media type and default quality of each output format.
 * @example imageFormats.webp.contentType // 'image/webp'
 */
export const imageFormats: Record<
  ImageFormat,
  { extension: string; contentType: string; quality: number }
> = {
  jpeg: { extension: '.jpg', contentType: 'image/jpeg', quality: 85 },
  // Below 100, PNG is quantised to a palette at that quality; 100 keeps it lossless.
  png: { extension: '.png', contentType: 'image/png', quality: 100 },
  webp: { extension: '.webp', contentType: 'image/webp', quality: 80 },
  avif: { extension: '.avif', contentType: 'image/avif', quality: 50 },
}

function isImageFormat(value: unknown): value is ImageFormat {
  return typeof value === 'string' && Object.hasOwn(imageFormats, value)
}

/**
 * Rejects an unknown format or an out-of-range quality before any decoding starts.
 * @example requireEncoding({ step: 'convert', format: 'webp', quality: 80 })
 */
export function requireEncoding(options: { step: string; format: unknown; quality?: number }) {
  const { step, format, quality } = options
  if (format !== 'auto' && !isImageFormat(format)) {
    const formats = ['auto', ...Object.keys(imageFormats)].join(', ')
    const reason = `option format must be one of ${formats}, got ${String(format)}`
    throw new ProcessingStepError('invalid-options', step, reason)
  }
  if (quality === undefined) return
  requireInRange({ step, name: 'quality', value: quality, min: 1, max: 100, integer: true })
}

/**
 * Resolves `'auto'` to the input's own format when a step can write it, otherwise to PNG when
 * there is transparency to keep and JPEG when there is not.
 * @example chooseFormat('auto', await openImage(gifBytes, { step: 'convert' })) // 'png' or 'jpeg'
 */
export function chooseFormat(requested: OutputFormat, input: OpenedImage): ImageFormat {
  if (requested !== 'auto') return requested
  if (isImageFormat(input.format)) return input.format
  return input.metadata.hasAlpha ? 'png' : 'jpeg'
}

function applyEncoder(image: Sharp, format: ImageFormat, quality: number): Sharp {
  switch (format) {
    case 'jpeg':
      // mozjpeg's trellis quantisation and scan optimisation; libjpeg-turbo builds ignore them.
      return image.jpeg({ quality, progressive: true, mozjpeg: true })
    case 'png':
      return image.png({
        compressionLevel: 9,
        adaptiveFiltering: true,
        ...(quality < 100 ? { palette: true, quality } : {}),
      })
    case 'webp':
      return image.webp({ quality })
    case 'avif':
      return image.avif({ quality })
  }
}

/**
 * What `encodeImage` needs besides the pipeline.
 * @example encodeImage(image, { format: 'png', suffix: '_converted' })
 */
export interface EncodeImageOptions {
  format: ImageFormat
  /** @default imageFormats[format].quality */
  quality?: number
  suffix: string
}

/**
 * Runs a pipeline into one format and describes the result as a step output.
 * @example
 * const output = await encodeImage(image.resize(300), { format: 'webp', suffix: '_thumb_300' })
 */
export async function encodeImage(image: Sharp, options: EncodeImageOptions): Promise<StepOutput> {
  const { format, suffix } = options
  const { extension, contentType, quality } = imageFormats[format]
  const encoded = applyEncoder(image, format, options.quality ?? quality)
  const { data, info: written } = await encoded.toBuffer({ resolveWithObject: true })
  return {
    suffix,
    extension,
    contentType,
    bytes: data,
    width: written.width,
    height: written.height,
  }
}
