import { FerryError } from '../errors.js'
import type { UploadOptions } from './uploadOptions.js'

/**
 * Refuses options no upload could work with, when the upload (or the `Uploader`) is made: a typed
 * `invalid-option` naming the option, instead of a failure later under another code (a chunk
 * size of 0 surfaced as `hash-failed`, a missing endpoint as `network`).
 *
 * @example
 * checkUploadOptions({ endpoint: '/files/', chunkSize: 0 }) // throws: chunkSize must be …
 */
export function checkUploadOptions(options: UploadOptions): void {
  const refuse = (message: string) => {
    throw new FerryError(message, { code: 'invalid-option' })
  }
  const { endpoint, chunkSize, parallelUploads, stallTimeout, retry, metadata, headers } = options
  if (typeof endpoint !== 'string' || endpoint.trim() === '') refuse(`endpoint must be the tus endpoint's URL, not ${show(endpoint)}`)
  if (chunkSize !== undefined && chunkSize !== Number.POSITIVE_INFINITY && !isWhole(chunkSize, 1)) {
    refuse(`chunkSize must be a whole number of bytes of at least 1 (or Infinity), not ${show(chunkSize)}`)
  }
  if (parallelUploads !== undefined && !isWhole(parallelUploads, 1)) {
    refuse(`parallelUploads must be a whole number of at least 1, not ${show(parallelUploads)}`)
  }
  if (stallTimeout !== undefined && !(Number.isFinite(stallTimeout) && stallTimeout >= 0)) {
    refuse(`stallTimeout must be milliseconds (0 for never), not ${show(stallTimeout)}`)
  }
  if (retry?.maxAttempts !== undefined && !isWhole(retry.maxAttempts, 0)) {
    refuse(`retry.maxAttempts must be a whole number of at least 0, not ${show(retry.maxAttempts)}`)
  }
  for (const name of ['baseDelay', 'maxDelay'] as const) {
    const delay = retry?.[name]
    if (delay !== undefined && !(Number.isFinite(delay) && delay >= 0)) refuse(`retry.${name} must be milliseconds, not ${show(delay)}`)
  }
  for (const [name, entries] of [['metadata', metadata], ['headers', headers]] as const) {
    const wrong = Object.entries(entries ?? {}).find(([, value]) => typeof value !== 'string')
    if (wrong) refuse(`${name}.${wrong[0]} must be a string, not ${show(wrong[1])}`)
  }
}

function isWhole(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min
}

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value)
}
