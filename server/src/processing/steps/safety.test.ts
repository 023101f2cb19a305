import { describe, expect, it } from 'vitest'
import { compress } from './compress.js'
import { convert } from './convert.js'
import { extractMetadata } from './extractMetadata.js'
import { gzipVariant } from './gzipVariant.js'
import { thumbnails } from './thumbnails.js'
import { noisyImage, pngBomb, sidewaysPhoto } from './testImages.js'
import { ProcessingStepError } from './types.js'
import { watermark } from './watermark.js'

// Every image step, with the options it needs to run at all.
const steps = {
  compress: (input: Buffer, limitInputPixels?: number) => compress(input, { limitInputPixels }),
  thumbnails: (input: Buffer, limitInputPixels?: number) => thumbnails(input, { limitInputPixels }),
  convert: (input: Buffer, limitInputPixels?: number) => convert(input, { limitInputPixels }),
  watermark: (input: Buffer, limitInputPixels?: number) =>
    watermark(input, { text: '© Ferry', limitInputPixels }),
  extractMetadata: (input: Buffer, limitInputPixels?: number) =>
    extractMetadata(input, { limitInputPixels }),
}
const stepNames = Object.keys(steps) as Array<keyof typeof steps>

async function failure(run: Promise<unknown>): Promise<ProcessingStepError> {
  const error = await run.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  if (!(error instanceof ProcessingStepError)) throw new Error(`expected a ProcessingStepError`)
  expect(error.message).toMatch(/^ferry-server: /)
  expect(error.name).toBe('ProcessingStepError')
  return error
}

const photo = await sidewaysPhoto()
const jpeg = await noisyImage({ width: 1000, height: 1000 }).jpeg().toBuffer()
const bomb = pngBomb(20_000)

describe.each(stepNames)('%s on hostile input', (name) => {
  const step = steps[name]

  it('refuses a decompression bomb before decoding it', async () => {
    expect(bomb.length).toBeLessThan(100_000)
    const error = await failure(step(bomb))
    expect(error.code).toBe('input-too-large')
    expect(error.message).toContain(`${name}: input is 20000x20000 (400000000 pixels)`)
  })

  it('honours a lower limitInputPixels', async () => {
    const error = await failure(step(jpeg, 999_999))
    expect(error.code).toBe('input-too-large')
    expect(error.message).toContain('over the limit of 999999')
  })

  it('refuses random bytes, empty input and SVG', async () => {
    const random = Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919) % 251))
    expect((await failure(step(random))).code).toBe('unsupported-input')
    expect((await failure(step(Buffer.alloc(0)))).code).toBe('corrupt-input')
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')
    const error = await failure(step(svg))
    expect([error.code, error.message]).toEqual(['unsupported-input', expect.stringMatching(/svg/)])
  })

  it('leaves the input buffer as it was', async () => {
    const copy = Buffer.from(photo)
    await step(photo)
    expect(photo.equals(copy)).toBe(true)
  })
})

describe.each(stepNames.filter((name) => name !== 'extractMetadata'))('%s', (name) => {
  it('refuses a truncated JPEG with a reason', async () => {
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2))
    const error = await failure(steps[name](truncated))
    expect(error.code).toBe('corrupt-input')
    expect(error.message).toMatch(/input could not be decoded \(.+\)/)
    expect(error.cause).toBeInstanceOf(Error)
  })
})

describe('extractMetadata on a truncated JPEG', () => {
  it('still reports the header, since it decodes no pixels', async () => {
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2))
    expect(await extractMetadata(truncated)).toMatchObject({ width: 1000, height: 1000 })
  })
})

describe('gzipVariant', () => {
  it('leaves the input buffer as it was', async () => {
    const text = Buffer.from('a line of text\n'.repeat(100))
    const copy = Buffer.from(text)
    await gzipVariant(text, { contentType: 'text/plain' })
    expect(text.equals(copy)).toBe(true)
  })
})
