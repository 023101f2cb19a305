import { describe, expect, it } from 'vitest'
import { readHead, sniffType } from './sniffType.js'

/** Concatenates byte values and ASCII strings into one head. */
function head(...parts: Array<number[] | string>): Uint8Array {
  const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0))
  return new Uint8Array(parts.flatMap((part) => (typeof part === 'string' ? ascii(part) : part)))
}

/** An ISO-BMFF ftyp box with a major and compatible brands, then the start of the next box. */
function ftyp(major: string, ...compatible: string[]): Uint8Array {
  const size = 16 + 4 * compatible.length
  return head([0, 0, 0, size], 'ftyp', major, [0, 0, 0, 0], ...compatible, [0, 0, 0, 8], 'mdat')
}

describe('sniffType', () => {
  it.each([
    ['JPEG', head([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF'), 'image/jpeg', 'jpg'],
    ['PNG', head([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 'IHDR'), 'image/png', 'png'],
    ['GIF87a', head('GIF87a', [1, 0, 1, 0]), 'image/gif', 'gif'],
    ['GIF89a', head('GIF89a', [1, 0, 1, 0]), 'image/gif', 'gif'],
    ['WebP', head('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '), 'image/webp', 'webp'],
    ['AVIF', ftyp('avif', 'mif1', 'miaf'), 'image/avif', 'avif'],
    ['AVIF sequence', ftyp('avis', 'msf1', 'avif'), 'image/avif', 'avif'],
    ['AVIF under a generic HEIF brand', ftyp('mif1', 'mif1', 'avif', 'miaf'), 'image/avif', 'avif'],
    ['HEIC', ftyp('heic', 'mif1', 'heic'), 'image/heic', 'heic'],
    ['HEIC under a generic HEIF brand', ftyp('mif1', 'mif1', 'heic'), 'image/heic', 'heic'],
    ['plain HEIF', ftyp('mif1', 'mif1', 'miaf'), 'image/heif', 'heif'],
    ['PDF', head('%PDF-1.7\n'), 'application/pdf', 'pdf'],
    ['MP4 isom', ftyp('isom', 'isom', 'iso2', 'avc1', 'mp41'), 'video/mp4', 'mp4'],
    ['MP4 mp42', ftyp('mp42', 'mp42', 'isom'), 'video/mp4', 'mp4'],
    ['M4A', ftyp('M4A ', 'M4A ', 'mp42', 'isom'), 'audio/mp4', 'm4a'],
    ['3GP', ftyp('3gp4', 'isom', '3gp4'), 'video/3gpp', '3gp'],
    ['QuickTime ftyp', ftyp('qt  ', 'qt  '), 'video/quicktime', 'mov'],
    ['QuickTime without ftyp (moov)', head([0, 0, 0x10, 0], 'moov'), 'video/quicktime', 'mov'],
    ['QuickTime without ftyp (mdat)', head([0, 0, 0x10, 0], 'mdat'), 'video/quicktime', 'mov'],
    ['ZIP', head('PK', [3, 4, 20, 0]), 'application/zip', 'zip'],
    ['empty ZIP', head('PK', [5, 6], new Array(18).fill(0)), 'application/zip', 'zip'],
    ['spanned ZIP', head('PK', [7, 8], 'PK', [3, 4]), 'application/zip', 'zip'],
    ['RAR 4', head('Rar!', [0x1a, 0x07, 0x00, 0xcf]), 'application/vnd.rar', 'rar'],
    ['RAR 5', head('Rar!', [0x1a, 0x07, 0x01, 0x00, 0x33]), 'application/vnd.rar', 'rar'],
    ['Windows executable', head('MZ', [0x90, 0, 3, 0]), 'application/x-msdownload', 'exe'],
    ['ELF', head([0x7f], 'ELF', [2, 1, 1, 0]), 'application/x-elf', 'elf'],
  ])('recognises %s', (_, bytes, mime, extension) => {
    expect(sniffType(bytes)).toEqual({ mime, extension })
  })

  it.each([
    ['empty input', head()],
    ['plain text', head('hello, world\n')],
    ['JSON', head('{"a":1}')],
    ['a truncated PNG signature', head([0x89], 'PN')],
    ['RIFF audio (WAV)', head('RIFF', [0x24, 0, 0, 0], 'WAVEfmt ')],
    ['an unknown ftyp brand', ftyp('abcd', 'efgh')],
    ['Rar! followed by other bytes', head('Rar!', [0x1a, 0x08, 0x00])],
  ])('returns undefined for %s', (_, bytes) => {
    expect(sniffType(bytes)).toBeUndefined()
  })

  it('reads compatible brands only within the ftyp box', () => {
    // Box size 16 holds no compatible brands; 'avif' after it belongs to the next box.
    const bytes = head([0, 0, 0, 16], 'ftyp', 'mif1', [0, 0, 0, 0], 'avif')
    expect(sniffType(bytes)?.mime).toBe('image/heif')
  })

  it('reads a signature from a view into a larger buffer', () => {
    const buffer = head('xxxx', '%PDF-1.4')
    expect(sniffType(buffer.subarray(4))?.mime).toBe('application/pdf')
    const withFtyp = new Uint8Array([9, 9, ...ftyp('avif')])
    expect(sniffType(withFtyp.subarray(2))?.mime).toBe('image/avif')
  })
})

describe('readHead', () => {
  it('reads only the first bytes of a Blob', async () => {
    const blob = new Blob([new Uint8Array(10_000).fill(7)])
    const bytes = await readHead(blob)
    expect(bytes.length).toBe(4100)
    expect((await readHead(blob, 16)).length).toBe(16)
  })

  it('reads a short Blob whole', async () => {
    expect(await readHead(new Blob(['%PDF-']))).toEqual(head('%PDF-'))
  })
})
