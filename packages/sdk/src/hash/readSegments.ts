export interface ReadSegmentsOptions {
  /** Byte of the Blob to start at. */
  from: number
  /** Segments end on multiples of this (counted from the Blob's first byte), or at its end. */
  segmentSize: number
  /**
   * Where each segment is read into: a buffer of at least `bytes` bytes that the consumer owns
   * once the segment is yielded (to transfer it, say). By default one buffer, reused.
   */
  takeBuffer?: (bytes: number) => Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>>
}

/** Bytes of a Blob from `start`: a view into a buffer that the next segment overwrites, unless it came from `takeBuffer`. */
export interface Segment {
  start: number
  bytes: Uint8Array<ArrayBuffer>
}

/**
 * Reads a Blob from `from` to its end as consecutive segments that end on multiples of
 * `segmentSize`, so that they line up with the upload's chunks (the first one is shorter when
 * `from` is not such a multiple). One stream instead of a slice per segment: Chromium counts
 * every live slice of an in-memory Blob against its blob storage until it is collected, and a
 * Worker that allocates little is rarely collected, so slicing a large generated Blob ran out of
 * storage. The pieces the stream delivers are copied into one reused buffer of `segmentSize`
 * bytes (or into the buffers `takeBuffer` lends), which bounds memory by the chunk size whatever
 * the file size.
 *
 * @example
 * for await (const { start, bytes } of readSegments(file, { from: 0, segmentSize: 8 << 20 })) use(start, bytes)
 */
export async function* readSegments(
  blob: Blob,
  { from, segmentSize, takeBuffer }: ReadSegmentsOptions,
): AsyncGenerator<Segment, void, undefined> {
  if (!(Number.isSafeInteger(segmentSize) && segmentSize > 0)) {
    throw new RangeError(`segmentSize must be a positive whole number of bytes, not ${segmentSize}`)
  }
  if (from >= blob.size) return
  let reused: Uint8Array<ArrayBuffer> | undefined
  const bufferFor = takeBuffer ?? (() => (reused ??= new Uint8Array(Math.min(segmentSize, blob.size - from))))
  let start = from
  let end = segmentEnd(start, segmentSize, blob.size)
  let buffer = await bufferFor(end - start)
  let filled = 0
  const reader = (from > 0 ? blob.slice(from) : blob).stream().getReader()
  let finished = false
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      if (start + filled + value.length > blob.size) throw changed(blob.size + value.length, blob.size)
      let offset = 0
      while (offset < value.length) {
        const taken = Math.min(value.length - offset, end - start - filled)
        buffer.set(value.subarray(offset, offset + taken), filled)
        filled += taken
        offset += taken
        if (filled === end - start) {
          yield { start, bytes: buffer.subarray(0, filled) }
          start = end
          end = segmentEnd(start, segmentSize, blob.size)
          filled = 0
          if (start < blob.size) buffer = await bufferFor(end - start)
        }
      }
    }
    finished = true
  } finally {
    // A consumer that stops early (an aborted hash) must not leave the file's stream open.
    if (!finished) await reader.cancel().catch(() => {})
  }
  if (start !== blob.size) throw changed(start + filled, blob.size)
}

function changed(read: number, size: number): Error {
  return new Error(`read ${read} bytes of a file of ${size}; was it changed while being read?`)
}

function segmentEnd(start: number, segmentSize: number, size: number): number {
  return Math.min((Math.floor(start / segmentSize) + 1) * segmentSize, size)
}
