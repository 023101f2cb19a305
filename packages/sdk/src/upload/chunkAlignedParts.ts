/** One partial upload's bytes of the file: `start` included, `end` excluded. */
export interface PartBoundary {
  start: number
  end: number
}

/**
 * Splits a file into at most `parts` partial uploads of whole chunks, the first ones one chunk
 * longer where they do not divide evenly. Every chunk of every part then starts on a multiple of
 * `chunkSize` in the file, where the hash worker digests the chunks as it reads the file, so a
 * partial upload's `Upload-Checksum` needs no second read of its chunk. (tus-js-client's own
 * split cuts the file into equal parts, whose chunks fall anywhere.)
 *
 * @example
 * chunkAlignedParts(20, 4, 3) // [{ start: 0, end: 8 }, { start: 8, end: 16 }, { start: 16, end: 20 }]
 */
export function chunkAlignedParts(size: number, chunkSize: number, parts: number): PartBoundary[] {
  const chunks = Math.ceil(size / chunkSize)
  const count = Math.max(1, Math.min(parts, chunks))
  const shortest = Math.floor(chunks / count)
  const longer = chunks % count
  const boundaries: PartBoundary[] = []
  let start = 0
  for (let index = 0; index < count; index++) {
    const end = Math.min(size, start + (shortest + (index < longer ? 1 : 0)) * chunkSize)
    boundaries.push({ start, end })
    start = end
  }
  return boundaries
}

/** Whether two part layouts are the same, so that stored partial uploads fit the parts cut now. */
export function sameParts(a: readonly PartBoundary[] | undefined, b: readonly PartBoundary[] | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.length === b.length &&
    a.every((part, index) => part.start === b[index]?.start && part.end === b[index]?.end)
  )
}
