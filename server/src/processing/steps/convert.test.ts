import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { convert } from './convert.js'
import { noisyImage, sidewaysPhoto } from './testImages.js'

const jpeg = await noisyImage({ width: 320, height: 240 }).jpeg({ quality: 90 }).toBuffer()

describe('convert', () => {
  it.each([
    ['webp', 'webp', '.webp', 'image/webp'],
    ['avif', 'heif', '.avif', 'image/avif'],
    ['png', 'png', '.png', 'image/png'],
    ['jpeg', 'jpeg', '.jpg', 'image/jpeg'],
  ] as const)('writes %s', async (format, decoder, extension, contentType) => {
    const output = await convert(jpeg, { format })
    expect(output).toMatchObject({ suffix: '_converted', extension, contentType, width: 320 })
    expect(output.height).toBe(240)
    const written = await sharp(output.bytes).metadata()
    expect(written).toMatchObject({ format: decoder, width: 320, height: 240 })
    if (format === 'avif') expect(written.compression).toBe('av1')
  })

  it('writes WebP by default and honours quality', async () => {
    const low = await convert(jpeg, { quality: 10 })
    const high = await convert(jpeg, { quality: 95 })
    expect((await sharp(low.bytes).metadata()).format).toBe('webp')
    expect(low.bytes.length).toBeLessThan(high.bytes.length)
  })

  it('turns a sideways photo upright and leaves no EXIF (so no GPS) behind', async () => {
    const photo = await sidewaysPhoto()
    for (const format of ['jpeg', 'webp', 'png', 'avif'] as const) {
      const output = await convert(photo, { format })
      expect([output.width, output.height]).toEqual([200, 400])
      const written = await sharp(output.bytes).metadata()
      expect([written.width, written.height]).toEqual([200, 400])
      expect(written.orientation ?? 1).toBe(1)
      expect(written.exif).toBeUndefined()
    }
  })

  it("keeps the input's format with 'auto', and makes GIF PNG or JPEG", async () => {
    const png = await noisyImage({ width: 40, height: 30, alpha: true }).png().toBuffer()
    expect((await convert(png, { format: 'auto' })).contentType).toBe('image/png')
    const gif = await noisyImage({ width: 40, height: 30 }).gif().toBuffer()
    expect((await convert(gif, { format: 'auto' })).contentType).toBe('image/jpeg')
  })

  it('puts transparent pixels on white when converting to JPEG, which has no alpha', async () => {
    const transparent = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 255, g: 128, b: 0, alpha: 0 } } })
      .png()
      .toBuffer()
    const { bytes } = await convert(transparent, { format: 'jpeg' })
    const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true })
    expect([...data.subarray(0, 3)].every((channel) => channel > 245)).toBe(true)
  })

  it('rejects an unknown format or a quality out of range before decoding', async () => {
    const format = 'bmp' as unknown as 'png'
    await expect(convert(jpeg, { format })).rejects.toMatchObject({ code: 'invalid-options' })
    await expect(convert(jpeg, { quality: 0 })).rejects.toMatchObject({ code: 'invalid-options' })
    await expect(convert(jpeg, { quality: 50.5 })).rejects.toThrow(/quality must be an integer/)
  })
})
