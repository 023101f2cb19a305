import {
  type ConvertFormat,
  defaultProcessingPolicy,
  type ProcessingPolicy,
} from '../processing/ProcessingPolicy.js'
import { defaultQueueOptions, JOB_TYPES, type JobType, type QueueOptions } from '../processing/queue/types.js'
import type { WatermarkPosition } from '../processing/steps/index.js'
import type { EnvironmentReaders } from './environmentReaders.js'

export interface ProcessingConfig {
  policy: ProcessingPolicy
  /** `embedded` runs jobs in the server process; `bullmq` queues them in Redis for `ferry-worker`. */
  queue: { kind: 'embedded' } | { kind: 'bullmq'; redisUrl: string }
  queueOptions: Pick<QueueOptions, 'concurrency' | 'attempts' | 'backoffMs' | 'timeoutMs'>
}

const FORMATS: readonly ConvertFormat[] = ['webp', 'avif', 'png', 'jpeg']
const POSITIONS: readonly WatermarkPosition[] = ['top-left', 'top-right', 'bottom-left', 'bottom-right', 'center']

/** The processing variables (`FERRY_PROCESSING`, `FERRY_QUEUE`, `FERRY_THUMBNAIL_SIZES`, …). */
export function loadProcessingConfig(read: EnvironmentReaders, problems: string[]): ProcessingConfig {
  const defaults = defaultProcessingPolicy
  const queueKind = read.oneOf('FERRY_QUEUE', ['embedded', 'bullmq'] as const, 'embedded')
  const redisUrl = queueKind === 'bullmq' ? read.required('FERRY_REDIS_URL', 'with FERRY_QUEUE=bullmq') : ''
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push(`FERRY_REDIS_URL must be a redis:// or rediss:// URL, got "${redisUrl}"`)
  }

  const sizes = read.list('FERRY_THUMBNAIL_SIZES', defaults.thumbnailSizes.map(String)).map(Number)
  if (sizes.some((size) => !Number.isInteger(size) || size < 1 || size > 4096)) {
    problems.push('FERRY_THUMBNAIL_SIZES must be whole numbers of pixels from 1 to 4096, e.g. "150,300,600"')
  }
  const formats = read.list('FERRY_CONVERT_FORMATS', defaults.convertFormats)
  const badFormat = formats.find((format) => !(FORMATS as readonly string[]).includes(format))
  if (badFormat) problems.push(`FERRY_CONVERT_FORMATS may list ${FORMATS.join(', ')}, got "${badFormat}"`)
  const watermarkText = read.optional('FERRY_WATERMARK_TEXT')

  return {
    policy: {
      enabled: read.boolean('FERRY_PROCESSING', defaults.enabled),
      thumbnailSizes: sizes,
      convertFormats: formats as ConvertFormat[],
      watermark: watermarkText
        ? {
            text: watermarkText,
            position: read.oneOf('FERRY_WATERMARK_POSITION', POSITIONS, 'bottom-right'),
            opacity: read.number('FERRY_WATERMARK_OPACITY', 0.5, { min: 0, max: 1 }),
            fontSize: read.integer('FERRY_WATERMARK_FONT_SIZE', 32, { min: 4, max: 1000 }),
          }
        : undefined,
      stripGps: read.boolean('FERRY_STRIP_GPS', defaults.stripGps),
      maxInputBytes: read.integer('FERRY_PROCESSING_MAX_BYTES', defaults.maxInputBytes, { min: 1 }),
      limitInputPixels: read.integer('FERRY_MAX_INPUT_PIXELS', defaults.limitInputPixels, { min: 1 }),
    },
    queue: queueKind === 'bullmq' ? { kind: 'bullmq', redisUrl } : { kind: 'embedded' },
    queueOptions: {
      concurrency: parseConcurrency(read, problems),
      attempts: read.integer('FERRY_JOB_ATTEMPTS', defaultQueueOptions.attempts, { min: 1, max: 100 }),
      backoffMs: read.integer('FERRY_JOB_BACKOFF_MS', defaultQueueOptions.backoffMs, { min: 0 }),
      timeoutMs: read.integer('FERRY_JOB_TIMEOUT_MS', defaultQueueOptions.timeoutMs, { min: 1 }),
    },
  }
}

/** `FERRY_JOB_CONCURRENCY=compress=5,thumbnails=3`: types left out keep their defaults. */
function parseConcurrency(read: EnvironmentReaders, problems: string[]): Record<JobType, number> {
  const concurrency = { ...defaultQueueOptions.concurrency }
  for (const pair of read.list('FERRY_JOB_CONCURRENCY', [])) {
    const [type = '', value = ''] = pair.split('=').map((part) => part.trim())
    const count = Number(value)
    if (!(JOB_TYPES as readonly string[]).includes(type) || !Number.isInteger(count) || count < 1) {
      problems.push(`FERRY_JOB_CONCURRENCY entries must be TYPE=N with TYPE one of ${JOB_TYPES.join(', ')}, got "${pair}"`)
      continue
    }
    concurrency[type as JobType] = count
  }
  return concurrency
}
