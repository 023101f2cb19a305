/*
 * Images the step tests generate instead of committing binary fixtures. Test support only:
 * nothing in the steps imports it.
 */
import sharp, { type Sharp } from 'sharp'
import { crc32, deflateSync } from 'node:zlib'

/** A photo-like canvas: grey with Gaussian noise, so encoders have real work to do. */
export function noisyImage(options: { width: number; height: number; alpha?: boolean }): Sharp {
  const { width, height, alpha = false } = options
  const noise = { type: 'gaussian' as const, mean: 128, sigma: 40 }
  const background = { r: 128, g: 128, b: 128, alpha: 0.5 }
  return sharp({ create: { width, height, channels: alpha ? 4 : 3, background, noise } })
}

/** One flat colour: compresses to almost nothing and makes pixel comparisons exact. */
export function flatImage(options: { width: number; height: number; colour?: string }): Sharp {
  const { width, height, colour = '#204060' } = options
  return sharp({ create: { width, height, channels: 3, background: colour } })
}

/** Camera EXIF as sharp writes it: IFD0 is the main directory, IFD2 Exif, IFD3 GPS. */
export const cameraExif = {
  IFD0: { Make: 'Canon', Model: 'EOS R5' },
  IFD2: { DateTimeOriginal: '2021:05:04 10:11:12' },
  IFD3: {
    GPSLatitudeRef: 'N',
    GPSLatitude: '48/1 51/1 2996/100',
    GPSLongitudeRef: 'W',
    GPSLongitude: '2/1 17/1 4021/100',
  },
}

/** The decimal degrees `cameraExif` places the photo at. */
export const cameraPosition = {
  latitude: 48 + 51 / 60 + 29.96 / 3600,
  longitude: -(2 + 17 / 60 + 40.21 / 3600),
}

/**
 * A 400×200 JPEG stored sideways: EXIF orientation 6 means "rotate 90° clockwise to view",
 * so it is 200×400 as displayed. It carries camera EXIF with GPS.
 */
export async function sidewaysPhoto(): Promise<Buffer> {
  const pixels = await noisyImage({ width: 400, height: 200 }).jpeg({ quality: 90 }).toBuffer()
  return sharp(pixels).withExif(cameraExif).withMetadata({ orientation: 6 }).jpeg().toBuffer()
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])))
  return Buffer.concat([head, data, crc])
}

/**
 * A valid PNG of `size`×`size` one-bit black pixels: a few tens of kilobytes that would decode
 * to `size`² pixels, a decompression bomb. Written by hand because sharp would have to
 * allocate the whole canvas to encode it.
 */
export function pngBomb(size: number): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 1 // bit depth; colour type 0 (grey), default compression, filter, no interlace
  const rows = Buffer.alloc(size * (1 + Math.ceil(size / 8)))
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

/** Decoded RGB(A) pixels of an encoded image, with a reader for one pixel. */
export async function pixelsOf(image: Buffer) {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true })
  const at = (x: number, y: number) => {
    const start = (y * info.width + x) * info.channels
    return [...data.subarray(start, start + info.channels)]
  }
  return { data, info, at }
}

/** How many pixels in a rectangle differ between two same-sized decoded images. */
export async function changedPixels(
  before: Buffer,
  after: Buffer,
  region: { left: number; top: number; width: number; height: number },
): Promise<number> {
  const [a, b] = await Promise.all([pixelsOf(before), pixelsOf(after)])
  let changed = 0
  for (let y = region.top; y < region.top + region.height; y++) {
    for (let x = region.left; x < region.left + region.width; x++) {
      if (a.at(x, y).join() !== b.at(x, y).join()) changed++
    }
  }
  return changed
}
