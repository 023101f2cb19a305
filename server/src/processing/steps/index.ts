export {
  compress,
  defaultCompressOptions,
  type CompressOptions,
  type CompressResult,
  type CompressSkipReason,
  type CompressionSizes,
} from './compress.js'
export { convert, defaultConvertOptions, type ConvertOptions } from './convert.js'
export { escapeXml } from './escapeXml.js'
export {
  extractMetadata,
  defaultExtractMetadataOptions,
  type ExtractMetadataOptions,
  type ImageMetadata,
} from './extractMetadata.js'
export { gzipVariant, defaultGzipVariantOptions, type GzipVariantOptions } from './gzipVariant.js'
export { imageFormats, type ImageFormat, type OutputFormat } from './imageFormats.js'
export {
  defaultOpenImageOptions,
  type InputFormat,
  type OpenImageOptions,
} from './openImage.js'
export { readExif, type ExifFields } from './readExif.js'
export { thumbnails, defaultThumbnailsOptions, type ThumbnailsOptions } from './thumbnails.js'
export { ProcessingStepError, type ProcessingStepErrorCode, type StepOutput } from './types.js'
export {
  watermark,
  defaultWatermarkOptions,
  type WatermarkOptions,
  type WatermarkPosition,
} from './watermark.js'
