import { describe, expect, it } from 'vitest'
import { copyRangesOf, MAX_PARTS } from './copyRanges.js'

const GIB = 1024 ** 3
const MIB = 1024 ** 2

describe('copyRangesOf', () => {
  it('splits into whole parts and a remainder, covering every byte once', () => {
    expect(copyRangesOf(12, 5)).toEqual([
      { start: 0, end: 4 },
      { start: 5, end: 9 },
      { start: 10, end: 11 },
    ])
    expect(copyRangesOf(10, 5)).toEqual([
      { start: 0, end: 4 },
      { start: 5, end: 9 },
    ])
    expect(copyRangesOf(3, 5)).toEqual([{ start: 0, end: 2 }])
  })

  it('is contiguous for a sweep of sizes around part boundaries', () => {
    for (const size of [1, 4, 5, 6, 9, 10, 11, 99, 100, 101]) {
      const ranges = copyRangesOf(size, 5)
      expect(ranges[0]?.start).toBe(0)
      expect(ranges.at(-1)?.end).toBe(size - 1)
      for (let index = 1; index < ranges.length; index++) {
        expect(ranges[index]?.start).toBe((ranges[index - 1]?.end ?? 0) + 1)
      }
    }
  })

  it('raises the part size so that 10 000 parts cover a 5 TiB object', () => {
    const size = 5 * 1024 * GIB
    const ranges = copyRangesOf(size, 512 * MIB)
    expect(ranges.length).toBeLessThanOrEqual(MAX_PARTS)
    expect(ranges.at(-1)?.end).toBe(size - 1)
    expect(copyRangesOf(6 * GIB, 512 * MIB)).toHaveLength(12)
  })

  it('refuses sizes it cannot split', () => {
    expect(() => copyRangesOf(0, 5)).toThrow(RangeError)
    expect(() => copyRangesOf(10, 0)).toThrow(RangeError)
  })
})
