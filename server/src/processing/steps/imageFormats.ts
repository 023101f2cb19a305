import type { Sharp } from 'sharp'
import type { InputFormat } from './openImage.js'
import type { StepOutput } from './types.js'

/** The formats a step writes. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'avif'

/** Extension, media type and default quality of each output format. */
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

/** Type guard for an option value or a detected input format. */
export function isImageFormat(value: unknown): value is ImageFormat {
  return typeof value === 'string' && Object.hasOwn(imageFormats, value)
}

/**
 * The format `'auto'` stands for: the input's own when a step can write it, otherwise PNG
 * when there is transparency to keep and JPEG when there is not.
 * @example autoFormat({ format: 'gif', hasAlpha: true }) // 'png'
 */
export function autoFormat(input: { format: InputFormat; hasAlpha: boolean }): ImageFormat {
  if (isImageFormat(input.format)) return input.format
  return input.hasAlpha ? 'png' : 'jpeg'
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

/** What `encodeImage` needs besides the pipeline. */
export interface EncodeImageOptions {
  format: ImageFormat
  /** @default imageFormats[format].quality */
  quality?: number
  suffix: string
  info?: Record<string, unknown>
}

/**
 * Runs a pipeline into one format and describes the result as a step output.
 * @example
 * const output = await encodeImage(image.resize(300), { format: 'webp', suffix: '_thumb_300' })
 */
export async function encodeImage(image: Sharp, options: EncodeImageOptions): Promise<StepOutput> {
  const { format, suffix, info } = options
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
    ...(info ? { info } : {}),
  }
}
