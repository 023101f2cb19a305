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
  #prepared: StartedWorker | undefined

  constructor(options: WorkerHasherOptions = {}) {
    this.#options = { ...defaultWorkerHasherOptions, ...options }
  }

  digest(
    blob: Blob,
    { onProgress, onCheckpoint, resumeFrom, chunkDigests, signal }: DigestOptions = {},
  ): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError())
      const { worker, release } = this.#takeWorker()
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

  /**
   * Starts the worker of the next `digest()` now, so that it has loaded and compiled its
   * WebAssembly by the time the file is hashed. An upload calls this before it asks the server
   * what it supports: the first chunk's checksum, which the first PATCH waits for, was measured
   * 150–320 ms after `digest()` with a worker started on demand, 55–105 ms of it starting the worker.
   */
  prepare(): () => void {
    if (this.#prepared) return () => {}
    const started: StartedWorker = this.#startWorker()
    // An error before digest() listens (a worker-src CSP, a bad workerUrl) would go unseen: the
    // next digest() then starts a worker of its own, whose error it reports.
    started.worker.onerror = (event) => {
      event.preventDefault()
      started.failed = true
    }
    this.#prepared = started
    return () => {
      if (this.#prepared !== started) return
      this.#prepared = undefined
      started.worker.terminate()
      started.release()
    }
  }

  #takeWorker(): StartedWorker {
    const prepared = this.#prepared
    this.#prepared = undefined
    if (prepared && !prepared.failed) return prepared
    prepared?.worker.terminate()
    prepared?.release()
    return this.#startWorker()
  }

  #startWorker(): StartedWorker {
    if (this.#options.workerUrl) {
      return { worker: new Worker(this.#options.workerUrl), release: () => {} }
    }
    const url = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }))
    return { worker: new Worker(url), release: () => URL.revokeObjectURL(url) }
  }
}

interface StartedWorker {
  worker: Worker
  release: () => void
  failed?: boolean
}

function abortError(): FerryError {
  return new FerryError('hashing was aborted', { code: 'aborted' })
}
