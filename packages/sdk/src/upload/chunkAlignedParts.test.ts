import { describe, expect, it } from 'vitest'
import { chunkAlignedParts, sameParts } from './chunkAlignedParts.js'

describe('chunkAlignedParts', () => {
  it('cuts whole chunks, the first parts one chunk longer, the last part ending at the file end', () => {
    expect(chunkAlignedParts(20, 4, 3)).toEqual([
      { start: 0, end: 8 },
      { start: 8, end: 16 },
      { start: 16, end: 20 },
    ])
    expect(chunkAlignedParts(32, 4, 4).map(({ start, end }) => end - start)).toEqual([8, 8, 8, 8])
  })

  it('covers every byte once, every part starting on a chunk, for many sizes', () => {
    for (const size of [1, 3, 4, 5, 17, 63, 64, 65, 1000]) {
      for (const parts of [1, 2, 3, 4, 7]) {
        const boundaries = chunkAlignedParts(size, 4, parts)
        expect(boundaries[0]?.start).toBe(0)
        expect(boundaries.at(-1)?.end).toBe(size)
        for (const [index, part] of boundaries.entries()) {
          expect(part.start % 4).toBe(0)
          expect(part.end).toBeGreaterThan(part.start)
          if (index > 0) expect(part.start).toBe(boundaries[index - 1]?.end)
        }
        expect(boundaries.length).toBe(Math.min(parts, Math.ceil(size / 4)))
      }
    }
  })

  it('makes no empty part when the file has fewer chunks than parts', () => {
    expect(chunkAlignedParts(6, 4, 4)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 6 },
    ])
  })
})

describe('sameParts', () => {
  it('tells layouts apart, and a missing one from any', () => {
    expect(sameParts(chunkAlignedParts(20, 4, 3), chunkAlignedParts(20, 4, 3))).toBe(true)
    expect(sameParts(chunkAlignedParts(20, 4, 3), chunkAlignedParts(20, 2, 3))).toBe(false)
    expect(sameParts(chunkAlignedParts(20, 4, 3), chunkAlignedParts(20, 4, 2))).toBe(false)
    expect(sameParts(undefined, chunkAlignedParts(20, 4, 3))).toBe(false)
  })
})
