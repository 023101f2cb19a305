import { crc32 } from 'node:zlib'
import sharp from 'sharp'

/** Real bytes of each type policy knows, generated rather than stored as fixtures. */

const blank = () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })

export const jpeg = () => blank().jpeg().toBuffer()
export const png = () => blank().png().toBuffer()
export const gif = () => blank().gif().toBuffer()

export function pdf(): Buffer {
  return Buffer.from(
    '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
      '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n' +
      'trailer << /Root 1 0 R >>\n%%EOF\n',
  )
}

/** An ISO base media file: an `ftyp` box with `brand`, then an empty `mdat` box. */
export function isoMedia(brand: 'isom' | 'qt  '): Buffer {
  const ftyp = Buffer.alloc(24)
  ftyp.writeUInt32BE(24, 0)
  ftyp.write(`ftyp${brand}`, 4, 'latin1')
  ftyp.writeUInt32BE(0x200, 12)
  ftyp.write(`${brand}mp41`, 16, 'latin1')
  const mdat = Buffer.from([0, 0, 0, 8, 0x6d, 0x64, 0x61, 0x74])
  return Buffer.concat([ftyp, mdat])
}

export interface ZipEntry {
  name: string
  data: string | Buffer
}

/** A ZIP with every entry stored (not compressed): local headers, central directory, end. */
export function storedZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    const name = Buffer.from(entry.name)
    const data = Buffer.from(entry.data)
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4) // version needed
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(name.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4) // version made by
    central.writeUInt16LE(20, 6) // version needed
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, data)
    centrals.push(central, name)
    offset += local.length + name.length + data.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

const WORD_MAIN = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'
const WORD_MACRO_MAIN = 'application/vnd.ms-word.document.macroEnabled.main+xml'

function contentTypes(mainType: string, padding = 0): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    `<Override PartName="/word/document.xml" ContentType="${mainType}"/>` +
    `<!--${' '.repeat(padding)}--></Types>`
  )
}

const wordParts: ZipEntry[] = [
  { name: '_rels/.rels', data: '<Relationships/>' },
  { name: 'word/document.xml', data: '<w:document/>' },
]

/** The parts of a minimal Word document, `[Content_Types].xml` first as Word writes it. */
export function docx(): Buffer {
  return storedZip([{ name: '[Content_Types].xml', data: contentTypes(WORD_MAIN) }, ...wordParts])
}

/** A DOCX whose `[Content_Types].xml` runs past `SNIFF_BYTES`, so the head holds only its start. */
export function docxWithLongContentTypes(): Buffer {
  const types = { name: '[Content_Types].xml', data: contentTypes(WORD_MAIN, 8000) }
  return storedZip([types, ...wordParts])
}

/** A macro-enabled Word document (DOCM) dressed as a DOCX. */
export function docm(): Buffer {
  const types = { name: '[Content_Types].xml', data: contentTypes(WORD_MACRO_MAIN) }
  return storedZip([types, ...wordParts, { name: 'word/vbaProject.bin', data: 'macro' }])
}

export function plainZip(): Buffer {
  return storedZip([{ name: 'notes/hello.txt', data: 'hello, world\n' }])
}

/** The start of a legacy Word document: a Compound File Binary header. */
export function cfb(): Buffer {
  const header = Buffer.alloc(512)
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header)
  header.writeUInt16LE(0x3e, 24) // minor version
  header.writeUInt16LE(3, 26) // major version 3: 512-byte sectors
  header.writeUInt16LE(0xfffe, 28) // little-endian
  header.writeUInt16LE(9, 30) // sector shift
  return header
}

export const rar4 = () => Buffer.from('Rar!\x1a\x07\x00\xcf\x90\x73\x00\x00\x0d\x00', 'latin1')
export const rar5 = () => Buffer.from('Rar!\x1a\x07\x01\x00\x33\x92\xb5\xe5\x0a\x01\x05', 'latin1')

/** A Windows executable's first bytes: DOS header pointing at a PE header. */
export function windowsExecutable(): Buffer {
  const image = Buffer.alloc(256)
  image.write('MZ', 0, 'latin1')
  image.writeUInt32LE(0x80, 0x3c)
  image.write('PE\0\0', 0x80, 'latin1')
  return image
}

/** A Linux executable's first bytes: 64-bit little-endian ELF. */
export function elfExecutable(): Buffer {
  const image = Buffer.alloc(64)
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(image)
  return image
}
