import type { ByteRange } from '../storage/types.js'

/** S3's limits on a multipart upload. */
export const MAX_PARTS = 10_000
export const MIN_PART_SIZE = 5 * 1024 * 1024
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024

/**
 * The inclusive byte ranges of a multipart copy of `size` bytes: parts of `partSize`, raised so
 * that 10 000 parts cover the object (S3's limit), the last one holding the rest.
 * @example
 * copyRangesOf(12, 5) // [{ start: 0, end: 4 }, { start: 5, end: 9 }, { start: 10, end: 11 }]
 */
export function copyRangesOf(size: number, partSize: number): ByteRange[] {
  if (!Number.isSafeInteger(size) || size < 1)
    throw new RangeError(`ferry-server: cannot split ${size} bytes into copy parts`)
  if (!Number.isSafeInteger(partSize) || partSize < 1)
    throw new RangeError(`ferry-server: copy part size ${partSize} is not a positive whole number`)
  const effective = Math.max(partSize, Math.ceil(size / MAX_PARTS))
  const ranges: ByteRange[] = []
  for (let start = 0; start < size; start += effective) {
    ranges.push({ start, end: Math.min(start + effective, size) - 1 })
  }
  return ranges
}
