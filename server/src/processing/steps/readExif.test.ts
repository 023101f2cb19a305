import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { readExif } from './readExif.js'
import { cameraPosition, noisyImage, sidewaysPhoto } from './testImages.js'

interface Field {
  tag: number
  type: number
  count: number
  /** Writes the value in the file's byte order. */
  write: (little: boolean) => Buffer
}

function number(size: 2 | 4, value: number, little: boolean): Buffer {
  const bytes = Buffer.alloc(size)
  if (size === 2) little ? bytes.writeUInt16LE(value) : bytes.writeUInt16BE(value)
  else little ? bytes.writeUInt32LE(value) : bytes.writeUInt32BE(value)
  return bytes
}

const text = (tag: number, value: string): Field => ({
  tag,
  type: 2,
  count: value.length + 1,
  write: () => Buffer.from(`${value}\0`, 'latin1'),
})
const short = (tag: number, value: number): Field => ({
  tag,
  type: 3,
  count: 1,
  write: (little) => number(2, value, little),
})
const long = (tag: number, value: number): Field => ({
  tag,
  type: 4,
  count: 1,
  write: (little) => number(4, value, little),
})
const rationals = (tag: number, values: Array<[number, number]>): Field => ({
  tag,
  type: 5,
  count: values.length,
  write: (little) => Buffer.concat(values.flat().map((value) => number(4, value, little))),
})

/** A TIFF/EXIF block in either byte order: IFD0, Exif and GPS directories, then values. */
function buildExif(options: { little: boolean; ifd0: Field[]; exif?: Field[]; gps?: Field[] }) {
  const { little, exif = [], gps = [] } = options
  const size = (fields: Field[]) => 2 + fields.length * 12 + 4
  const pointerCount = (exif.length > 0 ? 1 : 0) + (gps.length > 0 ? 1 : 0)
  const exifAt = 8 + 2 + (options.ifd0.length + pointerCount) * 12 + 4
  const gpsAt = exifAt + size(exif)
  const ifd0 = [
    ...options.ifd0,
    ...(exif.length > 0 ? [long(0x8769, exifAt)] : []),
    ...(gps.length > 0 ? [long(0x8825, gpsAt)] : []),
  ]
  let dataAt = gpsAt + size(gps)
  const parts = [Buffer.from(little ? 'II' : 'MM'), number(2, 42, little), number(4, 8, little)]
  const data: Buffer[] = []
  for (const fields of [ifd0, exif, gps]) {
    parts.push(number(2, fields.length, little))
    for (const { tag, type, count, write } of fields) {
      const value = write(little)
      parts.push(number(2, tag, little), number(2, type, little), number(4, count, little))
      if (value.length <= 4) {
        parts.push(Buffer.concat([value, Buffer.alloc(4 - value.length)]))
      } else {
        parts.push(number(4, dataAt, little))
        data.push(value)
        dataAt += value.length
      }
    }
    parts.push(Buffer.alloc(4))
  }
  return Buffer.concat([...parts, ...data])
}

const gpsFields = (latitudeRef: string, longitudeRef: string) => [
  text(1, latitudeRef),
  rationals(2, [[48, 1], [51, 1], [2996, 100]]),
  text(3, longitudeRef),
  rationals(4, [[2, 1], [17, 1], [4021, 100]]),
]

function camera(little: boolean) {
  return buildExif({
    little,
    ifd0: [text(0x010f, 'Nikon'), text(0x0110, 'Z 8'), short(0x0112, 3)],
    exif: [text(0x9003, '2023:12:31 23:59:58')],
    gps: gpsFields('S', 'E'),
  })
}

describe('readExif', () => {
  it('reads what sharp writes (little-endian, behind the Exif\\0\\0 marker)', async () => {
    const metadata = await sharp(await sidewaysPhoto()).metadata()
    expect(metadata.exif?.subarray(0, 6).toString('latin1')).toBe('Exif\0\0')
    const fields = readExif(metadata.exif ?? Buffer.alloc(0))
    expect(fields).toMatchObject({ make: 'Canon', model: 'EOS R5', orientation: 6 })
    expect(fields.dateTaken).toBe('2021-05-04T10:11:12')
    expect(fields.gps?.latitude).toBeCloseTo(cameraPosition.latitude, 9)
    expect(fields.gps?.longitude).toBeCloseTo(cameraPosition.longitude, 9)
  })

  it.each([true, false])('reads both byte orders (little-endian: %s)', (little) => {
    const fields = readExif(camera(little))
    expect(fields).toEqual({
      make: 'Nikon',
      model: 'Z 8',
      orientation: 3,
      dateTaken: '2023-12-31T23:59:58',
      gps: { latitude: -cameraPosition.latitude, longitude: -cameraPosition.longitude },
    })
  })

  it('returns nothing for an image without EXIF or for bytes that are not TIFF', async () => {
    const png = await noisyImage({ width: 8, height: 8 }).png().toBuffer()
    expect((await sharp(png).metadata()).exif).toBeUndefined()
    expect(readExif(Buffer.alloc(0))).toEqual({})
    expect(readExif(Buffer.from('Exif\0\0not a tiff header'))).toEqual({})
    expect(readExif(Buffer.from([0x49, 0x49, 0x2b, 0x00, 8, 0, 0, 0]))).toEqual({})
  })

  it('never throws on any truncation of a valid block', () => {
    const whole = camera(false)
    for (let length = 0; length < whole.length; length++) {
      expect(() => readExif(whole.subarray(0, length))).not.toThrow()
    }
    expect(readExif(whole.subarray(0, whole.length - 1)).gps).toBeUndefined()
  })

  it('never throws on random bytes behind a valid header', () => {
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff
    for (let round = 0; round < 500; round++) {
      const noise = Buffer.from(Array.from({ length: 64 }, random))
      const block = Buffer.concat([Buffer.from('MM\0\x2a\0\0\0\x08'), noise])
      expect(() => readExif(block)).not.toThrow()
    }
  })

  it('drops fields whose offsets, types or values are out of bounds', () => {
    const outside = Buffer.from(camera(true))
    outside.writeUInt32LE(0xfffffff0, 4) // IFD0 beyond the end
    expect(readExif(outside)).toEqual({})

    const badValues = buildExif({
      little: true,
      // Make as a number, an orientation that does not exist, a date that is not EXIF's format,
      // a zero denominator and a longitude with one value instead of three.
      ifd0: [short(0x010f, 5), short(0x0112, 9)],
      exif: [text(0x9003, 'yesterday')],
      gps: [text(1, 'N'), rationals(2, [[48, 0], [1, 1], [1, 1]]), rationals(4, [[1, 1]])],
    })
    expect(readExif(badValues)).toEqual({})
  })

  it('survives an entry count far larger than the directory', () => {
    const block = Buffer.from(camera(true))
    block.writeUInt16LE(0xffff, 8)
    expect(() => readExif(block)).not.toThrow()
  })
})
