import { FerryError } from '../errors.js'
import { checkUploadOptions } from '../upload/checkUploadOptions.js'
import { FerryUpload, type UploadOptions } from '../upload/FerryUpload.js'
import type { QueueableUpload } from './types.js'

/** The options of an `Uploader`: those every file's `FerryUpload` shares, and the queue's own. */
export interface UploaderOptions extends UploadOptions {
  /**
   * Most files uploading at once. A file that is processing on the server, paused or finished
   * does not count.
   * @default 3
   */
  concurrency?: number
  /**
   * Start uploading as soon as files are added; when false, nothing is sent before `start()`.
   * @default true
   */
  autoStart?: boolean
  /**
   * Least milliseconds between two `progress` events of the whole queue.
   * @default 100
   */
  progressInterval?: number
  /**
   * Creates one file's upload from the shared options and the file's metadata. A seam for tests.
   * @default (file, options) => new FerryUpload(file, options)
   */
  createUpload?: (file: Blob, options: UploadOptions) => QueueableUpload
}

/**
 * What an `Uploader` uses for each of its own options left out.
 *
 * @example
 * const uploader = new Uploader({ endpoint, concurrency: defaultUploaderOptions.concurrency * 2 })
 */
export const defaultUploaderOptions = {
  concurrency: 3,
  autoStart: true,
  progressInterval: 100,
  createUpload: (file: Blob, options: UploadOptions): QueueableUpload => {
    return new FerryUpload(file, options)
  },
}

/** The queue's own options over their defaults, and the options every file's upload shares. */
export function resolveUploaderOptions(options: UploaderOptions): {
  queue: typeof defaultUploaderOptions
  upload: UploadOptions
} {
  const { concurrency, autoStart, progressInterval, createUpload, ...upload } = options
  const defaults = defaultUploaderOptions
  const queue = {
    concurrency: concurrency ?? defaults.concurrency,
    autoStart: autoStart ?? defaults.autoStart,
    progressInterval: progressInterval ?? defaults.progressInterval,
    createUpload: createUpload ?? defaults.createUpload,
  }
  if (!Number.isInteger(queue.concurrency) || queue.concurrency < 1) {
    throw new FerryError(`concurrency must be a whole number of at least 1, not ${concurrency}`, {
      code: 'invalid-option',
    })
  }
  // Refused when the queue is made, not as each file starts.
  checkUploadOptions(upload)
  return { queue, upload }
}
