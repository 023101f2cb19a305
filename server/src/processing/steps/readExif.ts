/*
 * A reader for the few EXIF tags Ferry records, not a general EXIF library. EXIF is a TIFF
 * structure: a byte-order mark, then directories (IFDs) of 12-byte entries whose values sit
 * inline when they fit in 4 bytes and at an offset otherwise. Every offset comes from the
 * upload, so each read is bounds-checked and a bad one drops that field instead of throwing.
 */

/**
 * The EXIF facts Ferry records about a photo.
 * @example const { gps } = readExif(exifBlock)
 */
export interface ExifFields {
  make?: string
  model?: string
  /** 1 to 8; 1 is upright. */
  orientation?: number
  /** `DateTimeOriginal` as `YYYY-MM-DDTHH:MM:SS`, in the camera's local time (EXIF has no zone). */
  dateTaken?: string
  /** Decimal degrees; south and west are negative. */
  gps?: { latitude: number; longitude: number }
}

interface Tiff {
  data: Buffer
  little: boolean
}

/** Where an entry's value bytes start, already checked to lie inside the data. */
interface Entry {
  type: number
  count: number
  at: number
}

// TIFF field types this reader uses, and the byte size of one value of every common type.
const ascii = 2
const short = 3
const long = 4
const rational = 5
const ifd = 13
const typeSizes: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8, 13: 4 }

function u16(tiff: Tiff, at: number): number | undefined {
  if (at < 0 || at + 2 > tiff.data.length) return undefined
  return tiff.little ? tiff.data.readUInt16LE(at) : tiff.data.readUInt16BE(at)
}

function u32(tiff: Tiff, at: number): number | undefined {
  if (at < 0 || at + 4 > tiff.data.length) return undefined
  return tiff.little ? tiff.data.readUInt32LE(at) : tiff.data.readUInt32BE(at)
}

function openTiff(exif: Buffer): Tiff | undefined {
  // sharp hands over the APP1 payload, which starts with 'Exif\0\0' before the TIFF header.
  const data = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? exif.subarray(6) : exif
  const mark = data.subarray(0, 2).toString('latin1')
  if (mark !== 'II' && mark !== 'MM') return undefined
  const tiff = { data, little: mark === 'II' }
  return u16(tiff, 2) === 42 ? tiff : undefined
}

function readIfd(tiff: Tiff, offset: number | undefined): Map<number, Entry> {
  const entries = new Map<number, Entry>()
  const count = offset === undefined ? undefined : u16(tiff, offset)
  if (offset === undefined || count === undefined) return entries
  for (let index = 0; index < count; index++) {
    const start = offset + 2 + index * 12
    const [tag, type, valueCount] = [u16(tiff, start), u16(tiff, start + 2), u32(tiff, start + 4)]
    if (tag === undefined || type === undefined || valueCount === undefined) break
    const size = (typeSizes[type] ?? 0) * valueCount
    const at = size <= 4 ? start + 8 : u32(tiff, start + 8)
    if (size === 0 || at === undefined || at + size > tiff.data.length) continue
    entries.set(tag, { type, count: valueCount, at })
  }
  return entries
}

function readText(tiff: Tiff, entry: Entry | undefined): string | undefined {
  if (entry?.type !== ascii) return undefined
  const bytes = tiff.data.subarray(entry.at, entry.at + entry.count)
  const end = bytes.indexOf(0)
  const text = bytes.subarray(0, end === -1 ? bytes.length : end).toString('latin1').trim()
  return text === '' ? undefined : text
}

function readUnsigned(tiff: Tiff, entry: Entry | undefined): number | undefined {
  if (entry?.type === short) return u16(tiff, entry.at)
  if (entry?.type === long || entry?.type === ifd) return u32(tiff, entry.at)
  return undefined
}

/** Degrees, minutes and seconds as three rationals, to decimal degrees. */
function readDegrees(tiff: Tiff, entry: Entry | undefined): number | undefined {
  if (entry?.type !== rational || entry.count < 3) return undefined
  let degrees = 0
  for (const [index, scale] of [1, 60, 3600].entries()) {
    const numerator = u32(tiff, entry.at + index * 8)
    const denominator = u32(tiff, entry.at + index * 8 + 4)
    if (numerator === undefined || !denominator) return undefined
    degrees += numerator / denominator / scale
  }
  return degrees
}

function readGps(tiff: Tiff, gps: Map<number, Entry>): ExifFields['gps'] {
  const latitude = readDegrees(tiff, gps.get(0x0002))
  const longitude = readDegrees(tiff, gps.get(0x0004))
  const latitudeRef = readText(tiff, gps.get(0x0001))
  const longitudeRef = readText(tiff, gps.get(0x0003))
  if (latitude === undefined || longitude === undefined) return undefined
  if (latitude > 90 || longitude > 180) return undefined
  return {
    latitude: latitudeRef === 'S' ? -latitude : latitude,
    longitude: longitudeRef === 'W' ? -longitude : longitude,
  }
}

function toIsoLocal(exifDate: string | undefined): string | undefined {
  const match = exifDate?.match(/^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})$/)
  if (!match) return undefined
  const [, year, month, day, hour, minute, second] = match
  return `${year}-${month}-${day}T${hour}:${minute}:${second}`
}

/**
 * Reads camera, orientation, date taken and GPS from a raw EXIF block (sharp's
 * `metadata().exif`). Never throws: malformed EXIF yields only the fields that could be read.
 * @example
 * const { make, gps } = readExif((await sharp(bytes).metadata()).exif ?? Buffer.alloc(0))
 */
export function readExif(exif: Buffer): ExifFields {
  const tiff = openTiff(exif)
  if (tiff === undefined) return {}
  const ifd0 = readIfd(tiff, u32(tiff, 4))
  const exifIfd = readIfd(tiff, readUnsigned(tiff, ifd0.get(0x8769)))
  const gpsIfd = readIfd(tiff, readUnsigned(tiff, ifd0.get(0x8825)))
  const orientation = readUnsigned(tiff, ifd0.get(0x0112))
  const fields: ExifFields = {
    make: readText(tiff, ifd0.get(0x010f)),
    model: readText(tiff, ifd0.get(0x0110)),
    orientation: orientation && orientation <= 8 ? orientation : undefined,
    dateTaken: toIsoLocal(readText(tiff, exifIfd.get(0x9003))),
    gps: readGps(tiff, gpsIfd),
  }
  // Absent rather than undefined, so callers can spread the fields into a record.
  for (const key of Object.keys(fields) as Array<keyof ExifFields>) {
    if (fields[key] === undefined) delete fields[key]
  }
  return fields
}
