import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { readSegments } from './readSegments.js'

function patterned(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, index) => (index * 31 + (index >> 8)) & 0xff)
}

/** A Blob made of parts of uneven sizes, so the stream's pieces straddle segment boundaries. */
function blobOf(bytes: Uint8Array): Blob {
  const parts: Uint8Array<ArrayBuffer>[] = []
  for (let offset = 0, step = 1; offset < bytes.length; offset += step, step = (step * 7 + 3) % 70_001) {
    parts.push(bytes.slice(offset, offset + step))
  }
  return new Blob(parts)
}

async function collect(blob: Blob, from: number, segmentSize: number) {
  const segments: { start: number; sha256: string; length: number }[] = []
  for await (const { start, bytes } of readSegments(blob, { from, segmentSize })) {
    segments.push({ start, length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') })
  }
  return segments
}

describe('readSegments', () => {
  const bytes = patterned(300_003)
  const blob = blobOf(bytes)

  it.each([
    [299_000, 1],
    [0, 4096],
    [0, 65_536],
    [0, 100_000],
    [0, 300_003],
    [0, 1_000_000],
    [1, 65_536],
    [65_535, 65_536],
    [65_536, 65_536],
    [290_000, 7],
    [300_002, 4096],
  ])('from %i in segments of %i bytes: every byte once, boundaries on multiples', async (from, segmentSize) => {
    const segments = await collect(blob, from, segmentSize)
    let expectedStart = from
    for (const segment of segments) {
      expect(segment.start).toBe(expectedStart)
      const end = segment.start + segment.length
      expect(end === bytes.length || end % segmentSize === 0).toBe(true)
      expect(segment.length).toBeLessThanOrEqual(segmentSize)
      expect(segment.sha256).toBe(createHash('sha256').update(bytes.subarray(segment.start, end)).digest('hex'))
      expectedStart = end
    }
    expect(expectedStart).toBe(bytes.length)
  })

  it('yields nothing from the end of the Blob or of an empty one', async () => {
    expect(await collect(blob, bytes.length, 4096)).toEqual([])
    expect(await collect(new Blob([]), 0, 4096)).toEqual([])
  })

  it('reuses one buffer of at most the segment size', async () => {
    const buffers = new Set<ArrayBuffer>()
    for await (const { bytes: segment } of readSegments(blob, { from: 0, segmentSize: 65_536 })) {
      buffers.add(segment.buffer)
      expect(segment.buffer.byteLength).toBe(65_536)
    }
    expect(buffers.size).toBe(1)
  })

  it('reads each segment into the buffer takeBuffer lends, asked for its exact length', async () => {
    const asked: number[] = []
    const lent: Uint8Array<ArrayBuffer>[] = []
    const segments: { start: number; bytes: Uint8Array }[] = []
    const takeBuffer = async (length: number) => {
      asked.push(length)
      const buffer = new Uint8Array(new ArrayBuffer(65_536), 0, length)
      lent.push(buffer)
      return buffer
    }
    for await (const { start, bytes: segment } of readSegments(blob, { from: 1000, segmentSize: 65_536, takeBuffer })) {
      // Each segment is in the buffer lent for it, and stays intact after the next is read.
      expect(segment.buffer).toBe(lent.at(-1)?.buffer)
      segments.push({ start, bytes: segment })
    }
    expect(asked).toEqual([64_536, 65_536, 65_536, 65_536, 300_003 - 4 * 65_536])
    for (const { start, bytes: segment } of segments) {
      expect(segment).toEqual(bytes.subarray(start, start + segment.length))
    }
  })

  it('refuses a segment size that is not a positive whole number', async () => {
    await expect(collect(blob, 0, 0)).rejects.toThrow(RangeError)
    await expect(collect(blob, 0, 1.5)).rejects.toThrow(RangeError)
  })
})
