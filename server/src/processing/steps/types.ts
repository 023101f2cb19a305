/**
 * One file a step derives from an upload; the queue stores it beside the original.
 * @example await store.put(`${key}${output.suffix}${output.extension}`, output.bytes)
 */
export interface StepOutput {
  /** Appended to the original's base name, e.g. `'_thumb_300'`. */
  suffix: string
  /** Replaces the original's extension, with its dot, e.g. `'.jpg'`. */
  extension: string
  contentType: string
  /** Set when the bytes are encoded for transfer, e.g. `'gzip'`; serve it as `Content-Encoding`. */
  contentEncoding?: string
  bytes: Buffer
  width?: number
  height?: number
  /** Step-specific facts worth recording, e.g. the compression ratio. */
  info?: Record<string, unknown>
}

/**
 * Why a step refused its input or options; stable, so the queue can decide what to retry.
 * @example if (error.code === 'corrupt-input') markFailed(error.message)
 */
export type ProcessingStepErrorCode =
  | 'input-too-large'
  | 'corrupt-input'
  | 'unsupported-input'
  | 'invalid-options'

/**
 * A step could not produce its output. Retrying with the same input will fail the same way.
 * @example
 * try { await thumbnails(bytes) } catch (error) {
 *   if (error instanceof ProcessingStepError && error.code === 'input-too-large') markRejected()
 * }
 */
export class ProcessingStepError extends Error {
  override name = 'ProcessingStepError'
  constructor(
    readonly code: ProcessingStepErrorCode,
    /** The step that failed, e.g. `'thumbnails'`. */
    readonly step: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`ferry-server: ${step}: ${reason}`, options)
  }
}
