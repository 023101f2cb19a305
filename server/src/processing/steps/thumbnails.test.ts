import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { thumbnails } from './thumbnails.js'
import { noisyImage, sidewaysPhoto } from './testImages.js'

const jpeg = await noisyImage({ width: 1200, height: 800 }).jpeg().toBuffer()

describe('thumbnails', () => {
  it('makes 150, 300 and 600 px square JPEGs from a JPEG by default', async () => {
    const outputs = await thumbnails(jpeg)
    expect(outputs.map(({ suffix }) => suffix)).toEqual(['_thumb_150', '_thumb_300', '_thumb_600'])
    for (const [index, size] of [150, 300, 600].entries()) {
      const output = outputs[index]
      expect(output).toMatchObject({ extension: '.jpg', contentType: 'image/jpeg' })
      expect([output?.width, output?.height]).toEqual([size, size])
      const written = await sharp(output?.bytes).metadata()
      expect([written.format, written.width, written.height]).toEqual(['jpeg', size, size])
    }
  })

  it('takes sizes, fit and format from options', async () => {
    const outputs = await thumbnails(jpeg, { sizes: [64, 100], fit: 'inside', format: 'avif' })
    expect(outputs.map(({ width, height }) => [width, height])).toEqual([
      [64, 43],
      [100, 67],
    ])
    const written = await sharp(outputs[0]?.bytes).metadata()
    expect([written.format, written.compression]).toEqual(['heif', 'av1'])
    expect(outputs[0]?.contentType).toBe('image/avif')
  })

  it('keeps transparency: a PNG with alpha gives PNG thumbnails', async () => {
    const png = await noisyImage({ width: 200, height: 200, alpha: true }).png().toBuffer()
    const [output] = await thumbnails(png, { sizes: [50] })
    const written = await sharp(output?.bytes).metadata()
    expect([written.format, written.hasAlpha]).toEqual(['png', true])
  })

  it('thumbnails the upright photo and carries no EXIF', async () => {
    const photo = await sidewaysPhoto()
    const [inside] = await thumbnails(photo, { sizes: [100], fit: 'inside' })
    expect([inside?.width, inside?.height]).toEqual([50, 100])
    for (const output of await thumbnails(photo)) {
      const written = await sharp(output.bytes).metadata()
      expect(written.exif).toBeUndefined()
      expect(written.orientation ?? 1).toBe(1)
    }
  })

  it('returns nothing for no sizes', async () => {
    expect(await thumbnails(jpeg, { sizes: [] })).toEqual([])
  })

  it.each([[[0]], [[12.5]], [[100_000]]])('rejects sizes %j', async (sizes) => {
    await expect(thumbnails(jpeg, { sizes })).rejects.toMatchObject({ code: 'invalid-options' })
  })

  it('rejects an unknown fit', async () => {
    const fit = 'fill' as unknown as 'cover'
    await expect(thumbnails(jpeg, { fit })).rejects.toThrow(/option fit must be/)
  })
})
