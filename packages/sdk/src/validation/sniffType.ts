/**
 * Recognises a file's type from its first bytes, so a renamed file is caught before any byte is
 * sent. This is a courtesy to the user, not a security boundary: the server must check again.
 */
import { knownTypeByMime } from './knownTypes.js'

/** What the content of a file says it is. */
export interface SniffedType {
  mime: string
  /** The usual extension, lower-case, without the dot. */
  extension: string
}

/** Bytes that `readHead` reads by default: enough for every signature here and ISO-BMFF brands. */
export const defaultHeadBytes = 4100

/**
 * Reads the first `bytes` bytes of a Blob (fewer when it is shorter) without reading the rest.
 *
 * @example
 * const type = sniffType(await readHead(file))
 */
export async function readHead(
  blob: Blob,
  bytes = defaultHeadBytes,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await blob.slice(0, bytes).arrayBuffer())
}

/**
 * The type that a file's first bytes show, or `undefined` when they match no known signature.
 *
 * @example
 * sniffType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])) // { mime: 'image/jpeg', extension: 'jpg' }
 */
export function sniffType(head: Uint8Array): SniffedType | undefined {
  const mime = sniffMime(head)
  const extension = mime && knownTypeByMime(mime)?.extensions[0]
  return mime && extension ? { mime, extension } : undefined
}

function sniffMime(head: Uint8Array): string | undefined {
  if (hasBytes(head, [0xff, 0xd8, 0xff])) return 'image/jpeg'
  if (hasBytes(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png'
  if (hasText(head, 'GIF87a') || hasText(head, 'GIF89a')) return 'image/gif'
  if (hasText(head, 'RIFF') && hasText(head, 'WEBP', 8)) return 'image/webp'
  if (hasText(head, '%PDF-')) return 'application/pdf'
  if (hasText(head, 'ftyp', 4)) return isoBrandMime(head)
  // QuickTime files older than the ftyp box open straight with one of these atoms.
  if (quickTimeAtoms.includes(text(head, 4, 8))) return 'video/quicktime'
  // Local file header, empty archive, and the first part of a spanned archive.
  if ([0x03, 0x05, 0x07].some((third) => hasBytes(head, [0x50, 0x4b, third, third + 1]))) {
    return 'application/zip'
  }
  if (hasText(head, 'Rar!') && isRarVersion(head)) return 'application/vnd.rar'
  if (hasText(head, 'MZ')) return 'application/x-msdownload'
  if (hasBytes(head, [0x7f, 0x45, 0x4c, 0x46])) return 'application/x-elf'
  return undefined
}

const quickTimeAtoms: readonly string[] = ['moov', 'mdat', 'wide', 'pnot']

const brandMimes: Readonly<Record<string, string>> = {
  avif: 'image/avif',
  avis: 'image/avif',
  heic: 'image/heic',
  heix: 'image/heic',
  heim: 'image/heic',
  heis: 'image/heic',
  hevc: 'image/heic',
  hevx: 'image/heic',
  mif1: 'image/heif',
  msf1: 'image/heif',
  'qt  ': 'video/quicktime',
  'M4A ': 'audio/mp4',
  'M4B ': 'audio/mp4',
  '3gp4': 'video/3gpp',
  '3gp5': 'video/3gpp',
  '3gp6': 'video/3gpp',
}
const mp4Brands = /^(iso[2-9m]|mp4[12]|mp71|avc1|dash|M4V |M4VH|M4VP|MSNV|f4v |NDAS)$/

/**
 * ISO base media files (MP4, MOV, AVIF, HEIC) name their format in the ftyp box: a major brand,
 * then compatible ones. Generic HEIF brands (mif1, msf1) defer to a more specific compatible one.
 */
function isoBrandMime(head: Uint8Array): string | undefined {
  const boxSize = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0)
  const end = Math.min(boxSize, head.length)
  const brands = [text(head, 8, 12)]
  for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(text(head, offset, offset + 4))
  const [major = '', ...compatible] = brands
  const majorMime = brandMime(major)
  if (majorMime && majorMime !== 'image/heif') return majorMime
  const mimes = compatible.map(brandMime)
  const specificImage = mimes.find((mime) => mime?.startsWith('image/') && mime !== 'image/heif')
  return specificImage ?? majorMime ?? mimes.find(Boolean)
}

/** RAR 4 continues `Rar!` with 1A 07 00, RAR 5 with 1A 07 01 00. */
function isRarVersion(head: Uint8Array): boolean {
  return hasBytes(head, [0x1a, 0x07, 0x00], 4) || hasBytes(head, [0x1a, 0x07, 0x01, 0x00], 4)
}

function brandMime(brand: string): string | undefined {
  return brandMimes[brand] ?? (mp4Brands.test(brand) ? 'video/mp4' : undefined)
}

function hasBytes(head: Uint8Array, bytes: readonly number[], offset = 0): boolean {
  return head.length >= offset + bytes.length && bytes.every((byte, i) => head[offset + i] === byte)
}

function hasText(head: Uint8Array, ascii: string, offset = 0): boolean {
  return text(head, offset, offset + ascii.length) === ascii
}

function text(head: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...head.subarray(start, end))
}
