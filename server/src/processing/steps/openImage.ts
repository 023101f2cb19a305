import sharp, { type Metadata, type Sharp } from 'sharp'
import { requireInRange } from './stepErrors.js'
import { ProcessingStepError } from './types.js'
import { withDefaults } from './withDefaults.js'

/**
 * The input formats a step decodes; `avif` is sharp's `heif` with AV1 compression.
 * @example (await extractMetadata(bytes)).format // 'jpeg'
 */
export type InputFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff'

/**
 * How far an upload is trusted when it is decoded.
 * @example thumbnails(bytes, { limitInputPixels: 25_000_000 })
 */
export interface OpenImageOptions {
  /**
   * Refuse images with more pixels than this (width × height), before any pixel is decoded:
   * a small file can declare a huge canvas (a decompression bomb).
   * @default 100_000_000
   */
  limitInputPixels: number
}

/**
 * The decoding guard every image step's defaults start from.
 * @example defaultOpenImageOptions.limitInputPixels // 100_000_000
 */
export const defaultOpenImageOptions: OpenImageOptions = { limitInputPixels: 100_000_000 }

/**
 * A decoded-on-demand image and what its header says.
 * @example const { image, width, height } = await openImage(bytes, { step: 'convert' })
 */
export interface OpenedImage {
  /** A fresh pipeline that applies EXIF orientation first and fails on truncated data. */
  image: Sharp
  metadata: Metadata
  format: InputFormat
  /** Width as displayed, i.e. after EXIF orientation. */
  width: number
  /** Height as displayed, i.e. after EXIF orientation. */
  height: number
}

// SVG and PDF are left out on purpose: rendering them runs a parser and a renderer over markup
// an uploader controls, and neither is a photo format the steps exist for.
function inputFormatOf(metadata: Metadata): InputFormat | undefined {
  const { format, compression } = metadata
  if (format === 'heif') return compression === 'av1' ? 'avif' : undefined
  const known: readonly string[] = ['jpeg', 'png', 'webp', 'gif', 'tiff']
  return known.includes(format) ? (format as InputFormat) : undefined
}

/**
 * Reads an upload's header, refuses what a step must not decode, and returns a pipeline that
 * honours EXIF orientation. Derived images carry no metadata: sharp strips EXIF (and with it
 * GPS) unless asked to keep it, and no step asks.
 * @example
 * const { image, format } = await openImage(bytes, { limitInputPixels: 25_000_000 })
 * const png = await image.resize(300).png().toBuffer()
 */
export async function openImage(
  input: Buffer,
  options: Partial<OpenImageOptions> & { step: string },
): Promise<OpenedImage> {
  const { step } = options
  const { limitInputPixels } = withDefaults(defaultOpenImageOptions, options)
  requireInRange({ step, name: 'limitInputPixels', value: limitInputPixels, min: 1, max: 2 ** 40 })
  if (input.length === 0) throw new ProcessingStepError('corrupt-input', step, 'input is empty')
  // The header alone is read here, so no pixel limit is needed yet; checking it ourselves
  // lets the error name the declared size.
  const metadata = await sharp(input, { limitInputPixels: false }).metadata()
  const format = inputFormatOf(metadata)
  if (format === undefined) {
    const name = metadata.format === 'heif' ? `heif/${metadata.compression}` : metadata.format
    throw new ProcessingStepError('unsupported-input', step, `cannot process ${name} images`)
  }
  const pixels = metadata.width * (metadata.pageHeight ?? metadata.height)
  if (pixels > limitInputPixels) {
    const size = `${metadata.width}x${metadata.pageHeight ?? metadata.height}`
    const reason = `input is ${size} (${pixels} pixels), over the limit of ${limitInputPixels}`
    throw new ProcessingStepError('input-too-large', step, reason)
  }
  // failOn 'error' also fails on truncation; 'warning' would refuse files cameras really write.
  const image = sharp(input, { limitInputPixels, failOn: 'error', autoOrient: true })
  const { width, height } = metadata.autoOrient
  return { image, metadata, format, width, height }
}
