import type { ProcessingJobType } from '@ferry/protocol'
import type { WatermarkPosition } from './steps/index.js'

export type ConvertFormat = 'webp' | 'avif' | 'png' | 'jpeg'

/** Which jobs a verified upload gets, and how they run. */
export interface ProcessingPolicy {
  /** @default true */
  enabled: boolean
  /** Square `cover` thumbnails, in pixels. @default [150, 300, 600] */
  thumbnailSizes: number[]
  /** Formats every image is converted to. @default ['webp'] */
  convertFormats: ConvertFormat[]
  /** A text watermark on a copy of every image; none when `undefined`. @default undefined */
  watermark?: { text: string; position: WatermarkPosition; opacity: number; fontSize: number }
  /** Leave GPS out of the recorded metadata (derived images never carry any). @default true */
  stripGps: boolean
  /** Files larger than this are not processed (their jobs fail with a reason). @default 200 MiB */
  maxInputBytes: number
  /** Decompression-bomb guard: images with more pixels fail their jobs. @default 100 000 000 */
  limitInputPixels: number
}

export const defaultProcessingPolicy: ProcessingPolicy = {
  enabled: true,
  thumbnailSizes: [150, 300, 600],
  convertFormats: ['webp'],
  watermark: undefined,
  stripGps: true,
  maxInputBytes: 200 * 1024 * 1024,
  limitInputPixels: 100_000_000,
}

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff'])
const TEXT_TYPES = [/^text\//, /^application\/(json|xml|javascript|x-ndjson)$/, /\+json$/, /\+xml$/]

/** Lower runs first: metadata and thumbnails are what users wait for. */
export const JOB_PRIORITY: Record<ProcessingJobType, number> = {
  metadata: 1,
  thumbnails: 2,
  compress: 5,
  gzip: 5,
  convert: 6,
  watermark: 7,
}

/**
 * The jobs the policy names for a file of `type`: image steps for images, a gzip variant for
 * text and JSON, nothing for everything else.
 * @example
 * planJobs('image/png', defaultProcessingPolicy) // ['metadata', 'thumbnails', 'compress', 'convert']
 */
export function planJobs(type: string, policy: ProcessingPolicy): ProcessingJobType[] {
  if (!policy.enabled) return []
  const mediaType = (type.split(';')[0] ?? '').trim().toLowerCase()
  if (IMAGE_TYPES.has(mediaType)) {
    const jobs: ProcessingJobType[] = ['metadata', 'compress']
    if (policy.thumbnailSizes.length > 0) jobs.push('thumbnails')
    if (policy.convertFormats.length > 0) jobs.push('convert')
    if (policy.watermark?.text) jobs.push('watermark')
    return jobs
  }
  if (TEXT_TYPES.some((pattern) => pattern.test(mediaType))) return ['gzip']
  return []
}
