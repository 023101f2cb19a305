import workerSource from 'ferry:hash-worker-source'
import { FerryError } from '../errors.js'
import type { DigestOptions, Hasher, HashReply, HashRequest } from './types.js'

export interface WorkerHasherOptions {
  /**
   * URL of the hash worker script. By default the worker bundled into the SDK is started from a
   * `blob:` URL; set this where a Content-Security-Policy forbids `worker-src blob:`.
   * @default undefined
   */
  workerUrl?: string | URL
  /**
   * Bytes between two `onProgress` calls. When chunks are digested too (`chunkDigests`), progress
   * is reported once per chunk instead.
   * @default 4194304 (4 MiB)
   */
  sliceSize?: number
  /**
   * Bytes between two saved hashing states (`onCheckpoint`).
   * @default 67108864 (64 MiB)
   */
  checkpointBytes?: number
}

export const defaultWorkerHasherOptions = { sliceSize: 4 * 1024 * 1024, checkpointBytes: 64 * 1024 * 1024 }

/**
 * SHA-256 in a dedicated Web Worker with hash-wasm. The worker receives the Blob itself (a
 * handle, not its bytes) and reads it there, so hashing costs the page nothing. It also digests
 * the upload's chunks with WebCrypto on the way (`chunkDigests`), so each byte is read once.
 *
 * @example
 * const digest = await new WorkerHasher().digest(file)
 */
export class WorkerHasher implements Hasher {
  readonly digestsChunks = true
  readonly #options: WorkerHasherOptions & typeof defaultWorkerHasherOptions

  constructor(options: WorkerHasherOptions = {}) {
    this.#options = { ...defaultWorkerHasherOptions, ...options }
  }

  digest(
    blob: Blob,
    { onProgress, onCheckpoint, resumeFrom, chunkDigests, signal }: DigestOptions = {},
  ): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError())
      const { worker, release } = this.#startWorker()
      const finish = (settle: () => void) => {
        signal?.removeEventListener('abort', onAbort)
        worker.terminate()
        release()
        settle()
      }
      const onAbort = () => finish(() => reject(abortError()))
      signal?.addEventListener('abort', onAbort, { once: true })
      worker.onmessage = (event: MessageEvent<HashReply>) => {
        const reply = event.data
        if (reply.type === 'progress') onProgress?.(reply.bytesHashed)
        else if (reply.type === 'checkpoint') onCheckpoint?.({ state: reply.state, offset: reply.offset })
        else if (reply.type === 'chunk') {
          chunkDigests?.onChunk({ start: reply.start, end: reply.end, digest: new Uint8Array(reply.digest) })
        }
        else if (reply.type === 'done') finish(() => resolve(new Uint8Array(reply.digest)))
        else finish(() => reject(new FerryError(`hashing failed: ${reply.message}`, { code: 'hash-failed' })))
      }
      worker.onerror = (event) => {
        event.preventDefault()
        finish(() =>
          reject(new FerryError(`hash worker failed: ${event.message}`, { code: 'hash-failed' })),
        )
      }
      const { sliceSize, checkpointBytes } = this.#options
      const request: HashRequest = {
        blob,
        sliceSize,
        checkpointBytes,
        ...(chunkDigests ? { chunkSize: chunkDigests.chunkSize } : {}),
        ...(resumeFrom ? { resumeFrom } : {}),
      }
      worker.postMessage(request)
    })
  }

  #startWorker(): { worker: Worker; release: () => void } {
    if (this.#options.workerUrl) {
      return { worker: new Worker(this.#options.workerUrl), release: () => {} }
    }
    const url = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }))
    return { worker: new Worker(url), release: () => URL.revokeObjectURL(url) }
  }
}

function abortError(): FerryError {
  return new FerryError('hashing was aborted', { code: 'aborted' })
}
