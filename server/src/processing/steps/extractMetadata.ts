import {
  type InputFormat,
  type OpenImageOptions,
  defaultOpenImageOptions,
  openImage,
} from './openImage.js'
import { readExif } from './readExif.js'
import { withStepErrors } from './stepErrors.js'
import { withDefaults } from './withDefaults.js'

/**
 * Options for `extractMetadata`.
 * @example extractMetadata(bytes, { includeGps: false })
 */
export interface ExtractMetadataOptions extends OpenImageOptions {
  /**
   * Report where the photo was taken. Turn off when the record is shown to people other than
   * the uploader; derived images never carry GPS either way.
   * @default true
   */
  includeGps: boolean
}

/**
 * The defaults `extractMetadata` merges its options over.
 * @example defaultExtractMetadataOptions.includeGps // true
 */
export const defaultExtractMetadataOptions: ExtractMetadataOptions = {
  ...defaultOpenImageOptions,
  includeGps: true,
}

/**
 * What Ferry records about an uploaded image.
 * @example const { width, height, camera } = await extractMetadata(bytes)
 */
export interface ImageMetadata {
  /** Width as displayed, i.e. after EXIF orientation. */
  width: number
  /** Height as displayed, i.e. after EXIF orientation. */
  height: number
  format: InputFormat
  /** EXIF orientation, 1 to 8; 1 (upright) when the file has none. */
  orientation: number
  camera?: { make?: string; model?: string }
  /** Local time the photo was taken, `YYYY-MM-DDTHH:MM:SS`. */
  dateTaken?: string
  /** Decimal degrees; south and west are negative. */
  gps?: { latitude: number; longitude: number }
}

/**
 * Reads dimensions, format, camera, date taken, orientation and GPS from an image's header.
 * Decodes no pixels, so a truncated file still yields its header's facts.
 * @example
 * const { width, height, gps } = await extractMetadata(bytes, { includeGps: false })
 */
export async function extractMetadata(
  input: Buffer,
  options: Partial<ExtractMetadataOptions> = {},
): Promise<ImageMetadata> {
  const settings = withDefaults(defaultExtractMetadataOptions, options)
  return withStepErrors('extractMetadata', async () => {
    const { metadata, format, width, height } = await openImage(input, {
      ...settings,
      step: 'extractMetadata',
    })
    const exif = metadata.exif ? readExif(metadata.exif) : {}
    const { make, model, orientation, dateTaken, gps } = exif
    const camera = { ...(make ? { make } : {}), ...(model ? { model } : {}) }
    return {
      width,
      height,
      format,
      orientation: metadata.orientation ?? orientation ?? 1,
      ...(make || model ? { camera } : {}),
      ...(dateTaken ? { dateTaken } : {}),
      ...(settings.includeGps && gps ? { gps } : {}),
    }
  })
}
