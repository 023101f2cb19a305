import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { compress } from './compress.js'
import { noisyImage, sidewaysPhoto } from './testImages.js'

describe('compress', () => {
  it('re-encodes a quality-100 JPEG smaller and progressive, recording the ratio', async () => {
    const image = noisyImage({ width: 2000, height: 1500 })
    const original = await image.jpeg({ quality: 100 }).toBuffer()
    const result = await compress(original)
    if (result.status !== 'compressed') throw new Error(`not compressed: ${result.reason}`)
    const { output, originalBytes, compressedBytes, compressionRatio } = result
    expect(originalBytes).toBe(original.length)
    expect(compressedBytes).toBe(output.bytes.length)
    expect(compressedBytes).toBeLessThan(originalBytes)
    expect(compressionRatio).toBeCloseTo(originalBytes / compressedBytes, 10)
    expect(output).toMatchObject({ suffix: '_compressed', extension: '.jpg', width: 2000 })
    expect(output.info).toEqual({ originalBytes, compressedBytes, compressionRatio })
    const written = await sharp(output.bytes).metadata()
    expect(written).toMatchObject({ format: 'jpeg', width: 2000, height: 1500 })
    expect(written.isProgressive).toBe(true)
  })

  it('compresses PNG losslessly and WebP in their own formats', async () => {
    const image = noisyImage({ width: 300, height: 200 })
    const png = await image.clone().png({ compressionLevel: 0 }).toBuffer()
    const webp = await image.clone().webp({ quality: 100 }).toBuffer()
    for (const [input, format] of [[png, 'png'], [webp, 'webp']] as const) {
      const result = await compress(input)
      expect(result.status).toBe('compressed')
      if (result.status !== 'compressed') continue
      expect((await sharp(result.output.bytes).metadata()).format).toBe(format)
      expect(result.compressedBytes).toBeLessThan(input.length)
    }
    const pngResult = await compress(png)
    if (pngResult.status !== 'compressed') throw new Error('expected PNG compression')
    const [before, after] = await Promise.all(
      [png, pngResult.output.bytes].map((bytes) => sharp(bytes).raw().toBuffer()),
    )
    expect(after?.equals(before ?? Buffer.alloc(0))).toBe(true)
  })

  it('never keeps an output larger than the original', async () => {
    const image = noisyImage({ width: 64, height: 64 })
    const tiny = await image.jpeg({ quality: 20, mozjpeg: true }).toBuffer()
    const result = await compress(tiny)
    const originalBytes = tiny.length
    expect(result).toMatchObject({ status: 'skipped', reason: 'larger', originalBytes })
    if (result.status === 'skipped' && result.reason === 'larger') {
      expect(result.compressedBytes).toBeGreaterThanOrEqual(tiny.length)
      expect(result.compressionRatio).toBeLessThanOrEqual(1)
    }
    expect('output' in result).toBe(false)
  })

  it('skips GIF and animated images instead of flattening them', async () => {
    const gif = await noisyImage({ width: 32, height: 32 }).gif().toBuffer()
    expect(await compress(gif)).toMatchObject({ status: 'skipped', reason: 'unsupported-format' })
    const frame = () => noisyImage({ width: 32, height: 32 }).png().toBuffer()
    const frames = await Promise.all([frame(), frame(), frame()])
    const animated = await sharp(frames, { join: { animated: true } }).webp().toBuffer()
    expect((await sharp(animated).metadata()).pages).toBe(3)
    expect(await compress(animated)).toMatchObject({ status: 'skipped', reason: 'animated' })
  })

  it('skips a 16-bit PNG, which an 8-bit re-encoding would shrink by the precision it drops', async () => {
    const sixteen = await noisyImage({ width: 64, height: 64 }).toColourspace('rgb16').png().toBuffer()
    expect((await sharp(sixteen).metadata()).depth).toBe('ushort')
    expect(await compress(sixteen)).toMatchObject({ status: 'skipped', reason: 'high-bit-depth' })
  })

  it('writes the upright image with no EXIF', async () => {
    const result = await compress(await sidewaysPhoto(), { jpegQuality: 60 })
    if (result.status !== 'compressed') throw new Error('expected compression')
    const written = await sharp(result.output.bytes).metadata()
    expect([written.width, written.height, written.exif]).toEqual([200, 400, undefined])
  })

  it('rejects a quality out of range', async () => {
    const png = await noisyImage({ width: 8, height: 8 }).png().toBuffer()
    const reason = 'option pngQuality must be an integer from 1 to 100, got 101'
    await expect(compress(png, { pngQuality: 101 })).rejects.toMatchObject({
      code: 'invalid-options',
      message: `ferry-server: compress: ${reason}`,
    })
  })
})
