import type { ProcessingJobType } from '@ferry/protocol'
import type { ProcessingPolicy } from './ProcessingPolicy.js'
import {
  compress,
  convert,
  extractMetadata,
  gzipVariant,
  type StepOutput,
  thumbnails,
  watermark,
} from './steps/index.js'

export interface StepResult {
  outputs: StepOutput[]
  /** What the step found or decided, recorded in the manifest. */
  result?: Record<string, unknown>
}

export interface StepInput {
  bytes: Buffer
  /** The original's declared media type. */
  type: string
  /** The original's file name, for the extension of text variants. */
  name: string | null
}

/** Runs the step a job stands for, with the options the policy gives it. */
export async function runStep(
  job: ProcessingJobType,
  { bytes, type, name }: StepInput,
  policy: ProcessingPolicy,
): Promise<StepResult> {
  const guard = { limitInputPixels: policy.limitInputPixels }
  switch (job) {
    case 'metadata': {
      const metadata = await extractMetadata(bytes, { ...guard, includeGps: !policy.stripGps })
      return { outputs: [], result: { ...metadata } }
    }
    case 'compress': {
      const compressed = await compress(bytes, guard)
      if (compressed.status === 'compressed') {
        const { output, ...facts } = compressed
        return { outputs: [output], result: facts }
      }
      return { outputs: [], result: { ...compressed } }
    }
    case 'thumbnails':
      return { outputs: await thumbnails(bytes, { ...guard, sizes: policy.thumbnailSizes }) }
    case 'convert': {
      const outputs: StepOutput[] = []
      for (const format of policy.convertFormats) outputs.push(await convert(bytes, { ...guard, format }))
      return { outputs }
    }
    case 'watermark':
      return { outputs: policy.watermark ? [await watermark(bytes, { ...guard, ...policy.watermark })] : [] }
    case 'gzip': {
      const extension = name && /\.[A-Za-z0-9]{1,10}$/.exec(name)?.[0]
      return { outputs: await gzipVariant(bytes, { contentType: type, ...(extension ? { extension } : {}) }) }
    }
  }
}
