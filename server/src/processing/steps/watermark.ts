import { escapeXml } from './escapeXml.js'
import { type OutputFormat, chooseFormat, encodeImage, requireEncoding } from './imageFormats.js'
import { type OpenImageOptions, defaultOpenImageOptions, openImage } from './openImage.js'
import { requireInRange, withStepErrors } from './stepErrors.js'
import { ProcessingStepError, type StepOutput } from './types.js'
import { withDefaults } from './withDefaults.js'

/**
 * Where the text sits on the image.
 * @example watermark(bytes, { text: '© Ferry', position: 'top-left' })
 */
export type WatermarkPosition = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right' | 'center'

/**
 * Options for `watermark`.
 * @example watermark(bytes, { text: '© Ferry', opacity: 0.3, fontSize: 24 })
 */
export interface WatermarkOptions extends OpenImageOptions {
  /** Required; any characters, escaped before they reach the SVG. @default '' */
  text: string
  /** @default 'bottom-right' */
  position: WatermarkPosition
  /** 0 (invisible) to 1 (opaque). @default 0.5 */
  opacity: number
  /** In pixels of the output. @default 32 */
  fontSize: number
  /** A CSS colour. @default '#ffffff' */
  color: string
  /** @default 'sans-serif' */
  fontFamily: string
  /** Distance from the image's edges, in pixels. @default 16 */
  margin: number
  /** @default 'auto' (the input's format; GIF and TIFF become PNG or JPEG) */
  format: OutputFormat
  /** 1 to 100. @default the format's own: jpeg 85, webp 80, avif 50, png 100 (lossless) */
  quality?: number
  /** @default '_watermarked' */
  suffix: string
}

/**
 * The defaults `watermark` merges its options over.
 * @example defaultWatermarkOptions.position // 'bottom-right'
 */
export const defaultWatermarkOptions: WatermarkOptions = {
  ...defaultOpenImageOptions,
  text: '',
  position: 'bottom-right',
  opacity: 0.5,
  fontSize: 32,
  color: '#ffffff',
  fontFamily: 'sans-serif',
  margin: 16,
  format: 'auto',
  suffix: '_watermarked',
}

type Anchor = 'start' | 'middle' | 'end'

/** Which strip of the image holds the text, and where in the strip the text is anchored. */
const placements: Record<WatermarkPosition, { gravity: string; anchor: Anchor; share: number }> = {
  'top-left': { gravity: 'north', anchor: 'start', share: 0 },
  'top-right': { gravity: 'north', anchor: 'end', share: 1 },
  'bottom-left': { gravity: 'south', anchor: 'start', share: 0 },
  'bottom-right': { gravity: 'south', anchor: 'end', share: 1 },
  center: { gravity: 'centre', anchor: 'middle', share: 0.5 },
}

/**
 * The overlay for one image: a strip as wide as the image and one line high, so a large photo
 * does not need a full-size overlay. Every interpolated string is escaped.
 * @example renderWatermarkSvg({ ...defaultWatermarkOptions, text: 'A&B', width: 800, height: 64 })
 */
export function renderWatermarkSvg(
  options: WatermarkOptions & { width: number; height: number },
): string {
  const { width, height, margin, fontSize } = options
  const { anchor, share } = placements[options.position]
  const x = margin + (width - 2 * margin) * share
  // A line of text spans about 0.8 em above its baseline and 0.2 em below.
  const y = margin + fontSize * 0.8
  const font = `font-family="${escapeXml(options.fontFamily)}" font-size="${fontSize}"`
  const paint = `fill="${escapeXml(options.color)}" fill-opacity="${options.opacity}"`
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<text x="${x}" y="${y}" text-anchor="${anchor}" ${font} ${paint}>` +
    `${escapeXml(options.text)}</text></svg>`
  )
}

function requireWatermarkOptions(step: string, settings: WatermarkOptions): void {
  const { text, position, opacity, fontSize, margin, format, quality } = settings
  if (typeof text !== 'string' || text.trim() === '') {
    throw new ProcessingStepError('invalid-options', step, 'option text must not be empty')
  }
  if (!Object.hasOwn(placements, position)) {
    const reason = `option position is not a known position, got ${String(position)}`
    throw new ProcessingStepError('invalid-options', step, reason)
  }
  requireInRange({ step, name: 'opacity', value: opacity, min: 0, max: 1 })
  requireInRange({ step, name: 'fontSize', value: fontSize, min: 1, max: 2000 })
  requireInRange({ step, name: 'margin', value: margin, min: 0, max: 10_000 })
  requireEncoding({ step, format, quality })
}

/**
 * Draws a line of text on an image at a corner or its centre, upright and without metadata.
 * @example
 * const output = await watermark(bytes, { text: '© Ferry', position: 'top-left', opacity: 0.7 })
 */
export async function watermark(
  input: Buffer,
  options: Partial<WatermarkOptions> = {},
): Promise<StepOutput> {
  const step = 'watermark'
  const settings = withDefaults(defaultWatermarkOptions, options)
  requireWatermarkOptions(step, settings)
  return withStepErrors(step, async () => {
    const opened = await openImage(input, { ...settings, step })
    const { width } = opened
    // sharp refuses an overlay larger than the image, so a tiny image clips the strip.
    const height = Math.min(opened.height, Math.ceil(settings.fontSize + 2 * settings.margin))
    const svg = renderWatermarkSvg({ ...settings, width, height })
    const overlay = { input: Buffer.from(svg), gravity: placements[settings.position].gravity }
    let image = opened.image.composite([overlay])
    // Compositing adds an alpha channel; an opaque input stays opaque.
    if (!opened.metadata.hasAlpha) image = image.removeAlpha()
    const format = chooseFormat(settings.format, opened)
    return encodeImage(image, { format, quality: settings.quality, suffix: settings.suffix })
  })
}
