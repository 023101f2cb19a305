import type { FileDescription } from '@ferry/protocol'
import type { FerryError } from '../errors.js'
import type { UploadEvents, UploadState } from '../upload/FerryUpload.js'
import type { QueueableUpload } from './types.js'

export interface UploadListeners {
  /** Any state but the outcome's, which arrives with `success` or `failure`. */
  state: (state: UploadState) => void
  progress: (progress: UploadEvents['progress']) => void
  /** Stored; `state` is `processing` while the server still works on the file, else `done`. */
  success: (result: FileDescription, state: 'processing' | 'done') => void
  failure: (error: FerryError) => void
  /** Following the processing of a stored file failed; the file itself stays stored. */
  processingError: (error: FerryError) => void
}

/**
 * Listens to an upload so that an outcome arrives together with its details. A `FerryUpload`
 * announces `done`, `processing` or `failed` just before the `success` or `error` event that
 * carries the result or the error; a listener that saw the state alone would find neither.
 *
 * @example
 * watchUpload(upload, { state, progress, success, failure, processingError })
 */
export function watchUpload(upload: QueueableUpload, listeners: UploadListeners): void {
  let stored = false
  upload.on('state', (state) => {
    const outcome = state === 'processing' || state === 'failed' || (state === 'done' && !stored)
    if (!outcome) listeners.state(state)
  })
  upload.on('progress', listeners.progress)
  upload.on('success', (result) => {
    stored = true
    listeners.success(result, upload.state === 'processing' ? 'processing' : 'done')
  })
  upload.on('error', (error) => {
    if (stored) listeners.processingError(error)
    else listeners.failure(error)
  })
}
