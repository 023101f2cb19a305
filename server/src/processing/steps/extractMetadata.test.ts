import type { Sharp } from 'sharp'
import { describe, expect, it } from 'vitest'
import { extractMetadata } from './extractMetadata.js'
import { cameraExif, cameraPosition, noisyImage, sidewaysPhoto } from './testImages.js'

describe('extractMetadata', () => {
  it('reads size, format, camera, date taken, orientation and GPS from a photo', async () => {
    const metadata = await extractMetadata(await sidewaysPhoto())
    expect(metadata).toMatchObject({
      width: 200,
      height: 400,
      format: 'jpeg',
      orientation: 6,
      camera: { make: 'Canon', model: 'EOS R5' },
      dateTaken: '2021-05-04T10:11:12',
    })
    expect(metadata.gps?.latitude).toBeCloseTo(cameraPosition.latitude, 9)
    expect(metadata.gps?.longitude).toBeCloseTo(cameraPosition.longitude, 9)
  })

  it('leaves GPS out when asked to', async () => {
    const metadata = await extractMetadata(await sidewaysPhoto(), { includeGps: false })
    expect(metadata.gps).toBeUndefined()
    expect(metadata.camera?.make).toBe('Canon')
  })

  it('reports only what an image without EXIF has', async () => {
    const png = await noisyImage({ width: 30, height: 20, alpha: true }).png().toBuffer()
    const metadata = await extractMetadata(png)
    expect(metadata).toEqual({ width: 30, height: 20, format: 'png', orientation: 1 })
  })

  it.each([
    ['webp', (image: Sharp) => image.webp()],
    ['avif', (image: Sharp) => image.avif()],
    ['gif', (image: Sharp) => image.gif()],
  ] as const)('recognises %s', async (format, encode) => {
    const bytes = await encode(noisyImage({ width: 24, height: 16 })).toBuffer()
    expect(await extractMetadata(bytes)).toMatchObject({ format, width: 24, height: 16 })
  })

  it('reads the camera from a WebP that carries EXIF', async () => {
    const webp = await noisyImage({ width: 24, height: 16 }).webp().withExif(cameraExif).toBuffer()
    const metadata = await extractMetadata(webp)
    expect(metadata.camera).toEqual({ make: 'Canon', model: 'EOS R5' })
    expect(metadata.gps?.latitude).toBeCloseTo(cameraPosition.latitude, 9)
  })
})
