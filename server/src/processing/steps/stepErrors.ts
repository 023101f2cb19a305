import { ProcessingStepError, type ProcessingStepErrorCode } from './types.js'

// libvips reports failures as free text; these are the phrasings that tell the cases apart.
const sharpFailures: ReadonlyArray<[RegExp, ProcessingStepErrorCode]> = [
  [/exceeds pixel limit/i, 'input-too-large'],
  [/unsupported image format/i, 'unsupported-input'],
  [/^Expected /, 'invalid-options'],
]

/** Names the failure of a sharp call so a caller can tell a bomb from a broken file. */
function classify(step: string, error: unknown): ProcessingStepError {
  if (error instanceof ProcessingStepError) return error
  const detail = error instanceof Error ? error.message : String(error)
  const code = sharpFailures.find(([pattern]) => pattern.test(detail))?.[1] ?? 'corrupt-input'
  const reason = code === 'corrupt-input' ? `input could not be decoded (${detail})` : detail
  return new ProcessingStepError(code, step, reason, { cause: error })
}

/**
 * Runs a step's work and turns whatever sharp throws into a `ProcessingStepError`, so no raw
 * libvips error (or crash) reaches the queue.
 * @example
 * return withStepErrors('convert', async () => encodeImage(...))
 */
export async function withStepErrors<T>(step: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw classify(step, error)
  }
}

/**
 * The bounds one numeric option must lie within.
 * @example requireInRange({ step: 'watermark', name: 'opacity', value: 0.5, min: 0, max: 1 })
 */
export interface NumberRule {
  step: string
  name: string
  value: number
  min: number
  max: number
  integer?: boolean
}

/**
 * Rejects an out-of-range option before sharp sees it, naming the option and the value.
 * @example
 * requireInRange({ step: 'convert', name: 'quality', value: 85, min: 1, max: 100, integer: true })
 */
export function requireInRange(rule: NumberRule): void {
  const { step, name, value, min, max, integer = false } = rule
  const valid = Number.isFinite(value) && value >= min && value <= max
  if (valid && (!integer || Number.isInteger(value))) return
  const kind = integer ? 'an integer' : 'a number'
  throw new ProcessingStepError(
    'invalid-options',
    step,
    `option ${name} must be ${kind} from ${min} to ${max}, got ${String(value)}`,
  )
}
