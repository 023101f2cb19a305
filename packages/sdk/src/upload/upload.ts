import type { FileDescription } from '@ferry/protocol'
import { FerryUpload, type UploadEvents, type UploadOptions } from './FerryUpload.js'

/**
 * Uploads one file and resolves with the server's description of it.
 *
 * @example
 * const stored = await upload(file, { endpoint: '/files/', onProgress: (p) => console.log(p) })
 */
export function upload(
  file: Blob,
  options: UploadOptions & { onProgress?: (progress: UploadEvents['progress']) => void },
): Promise<FileDescription> {
  const { onProgress, ...uploadOptions } = options
  const ferryUpload = new FerryUpload(file, uploadOptions)
  if (onProgress) ferryUpload.on('progress', onProgress)
  return ferryUpload.start()
}
