import type { ByteRange } from '../storage/types.js'

/**
 * Parses a single-range `Range: bytes=…` header against a resource of `size` bytes.
 * Returns `undefined` for no header (or one this server ignores, like multiple ranges, which
 * RFC 9110 lets a server answer with the whole body), and `'unsatisfiable'` for a range that
 * selects nothing (answered 416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match) return undefined
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return undefined
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  if (start >= size) return 'unsatisfiable'
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (end < start) return undefined
  return { start, end }
}
