import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { convert } from './convert.js'
import { changedPixels, flatImage } from './testImages.js'
import {
  type WatermarkPosition,
  defaultWatermarkOptions,
  renderWatermarkSvg,
  watermark,
} from './watermark.js'

// PNG in, PNG out: lossless, so every changed pixel was changed by the watermark.
const png = await flatImage({ width: 400, height: 300 }).png().toBuffer()
const corners = {
  'top-left': { left: 0, top: 0, width: 120, height: 60 },
  'top-right': { left: 280, top: 0, width: 120, height: 60 },
  'bottom-left': { left: 0, top: 240, width: 120, height: 60 },
  'bottom-right': { left: 280, top: 240, width: 120, height: 60 },
}
const middle = { left: 140, top: 120, width: 120, height: 60 }
const opposite = {
  'top-left': 'bottom-right',
  'top-right': 'bottom-left',
  'bottom-left': 'top-right',
  'bottom-right': 'top-left',
} as const

describe('watermark', () => {
  it.each(Object.keys(opposite) as Array<keyof typeof opposite>)(
    'draws at %s and nowhere near the opposite corner',
    async (position) => {
      const output = await watermark(png, { text: 'Ferry', position })
      expect(output).toMatchObject({ suffix: '_watermarked', extension: '.png', width: 400 })
      expect(await changedPixels(png, output.bytes, corners[position])).toBeGreaterThan(50)
      expect(await changedPixels(png, output.bytes, corners[opposite[position]])).toBe(0)
      expect(await changedPixels(png, output.bytes, middle)).toBe(0)
    },
  )

  it('draws at the centre and leaves every corner alone', async () => {
    const output = await watermark(png, { text: 'Ferry', position: 'center' })
    expect(await changedPixels(png, output.bytes, middle)).toBeGreaterThan(50)
    for (const corner of Object.values(corners)) {
      expect(await changedPixels(png, output.bytes, corner)).toBe(0)
    }
  })

  it('changes nothing at opacity 0 and keeps an opaque image opaque', async () => {
    const output = await watermark(png, { text: 'Ferry', opacity: 0 })
    expect(await changedPixels(png, output.bytes, { left: 0, top: 0, width: 400, height: 300 }))
      .toBe(0)
    expect((await sharp(output.bytes).metadata()).hasAlpha).toBe(false)
  })

  it('renders markup in the text as text, escaped in the SVG', async () => {
    const text = '</text><script>alert(1)</script>&'
    const svg = renderWatermarkSvg({ ...defaultWatermarkOptions, text, width: 400, height: 64 })
    expect(svg).toContain('&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;</text>')
    expect(svg).not.toContain('<script')
    const color = '"/><image href="file:///etc/passwd'
    expect(renderWatermarkSvg({ ...defaultWatermarkOptions, text, color, width: 9, height: 9 }))
      .not.toContain('<image')
    const output = await watermark(png, { text, fontFamily: 'x"><b', color: '#ff0000' })
    expect(await changedPixels(png, output.bytes, corners['bottom-right'])).toBeGreaterThan(50)
  })

  it('places the text on the upright image of a sideways photo', async () => {
    const flat = await flatImage({ width: 400, height: 200 }).jpeg().toBuffer()
    const sideways = await sharp(flat).withMetadata({ orientation: 6 }).jpeg().toBuffer()
    const upright = await convert(sideways, { format: 'png' })
    const output = await watermark(sideways, { text: 'Ferry', format: 'png' })
    expect([output.width, output.height]).toEqual([200, 400])
    const bottomRight = { left: 100, top: 340, width: 100, height: 60 }
    const topLeft = { left: 0, top: 0, width: 100, height: 60 }
    expect(await changedPixels(upright.bytes, output.bytes, bottomRight)).toBeGreaterThan(50)
    expect(await changedPixels(upright.bytes, output.bytes, topLeft)).toBe(0)
    expect((await sharp(output.bytes).metadata()).exif).toBeUndefined()
  })

  it('keeps a JPEG a JPEG and fits the strip on an image smaller than the text', async () => {
    const small = await flatImage({ width: 40, height: 20 }).jpeg().toBuffer()
    const output = await watermark(small, { text: 'A long watermark', fontSize: 48 })
    const written = await sharp(output.bytes).metadata()
    expect([written.format, written.width, written.height]).toEqual(['jpeg', 40, 20])
  })

  it.each([
    [{ text: '' }, /text must not be empty/],
    [{ text: 'x', opacity: 1.5 }, /opacity/],
    [{ text: 'x', fontSize: 0 }, /fontSize/],
    [{ text: 'x', position: 'middle' as WatermarkPosition }, /position/],
  ])('rejects %j', async (options, message) => {
    await expect(watermark(png, options)).rejects.toMatchObject({
      code: 'invalid-options',
      message: expect.stringMatching(message),
    })
  })
})
