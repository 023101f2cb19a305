import { FerryError } from '../errors.js'
import type { DigestOptions, Hasher, HashReply, HashRequest, ReadReply, ReadRequest } from './types.js'
import { giveBackWorkerPair, stopWorkerPair, takeWorkerPair, type WorkerPair } from './workerPairs.js'

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
 * SHA-256 in dedicated Web Workers with hash-wasm. The workers receive the Blob itself (a handle,
 * not its bytes) and read it there, so hashing costs the page nothing: one reads the Blob and
 * digests the upload's chunks with WebCrypto on the way (`chunkDigests`), so each byte is read
 * once; the other hashes what the first read, so reading overlaps hashing. A pair that finished
 * a digest is kept for a moment for the next one (see workerPairs.ts), so a queue of small files
 * does not start two workers per file.
 *
 * @example
 * const digest = await new WorkerHasher().digest(file)
 */
export class WorkerHasher implements Hasher {
  readonly digestsChunks = true
  readonly #options: WorkerHasherOptions & typeof defaultWorkerHasherOptions
  #prepared: WorkerPair | undefined

  constructor(options: WorkerHasherOptions = {}) {
    this.#options = { ...defaultWorkerHasherOptions, ...options }
  }

  digest(
    blob: Blob,
    { onProgress, onCheckpoint, resumeFrom, chunkDigests, signal }: DigestOptions = {},
  ): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError())
      let workers: WorkerPair
      try {
        workers = this.#takeWorkers()
      } catch (error) {
        return reject(hashFailed('could not start the hash workers', error))
      }
      const { reader, hasher } = workers
      // Workers that failed or were stopped midway are not used again.
      const finish = (settle: () => void, cleanly = false) => {
        signal?.removeEventListener('abort', onAbort)
        if (cleanly) giveBackWorkerPair(workers)
        else stopWorkerPair(workers)
        settle()
      }
      const fail = (message: string) => finish(() => reject(new FerryError(message, { code: 'hash-failed' })))
      const onAbort = () => finish(() => reject(abortError()))
      signal?.addEventListener('abort', onAbort, { once: true })
      // The digest is the hasher's; it is returned once the reader has posted every chunk digest.
      let digest: Uint8Array | undefined
      let allRead = false
      const resolveWhenBoth = () => {
        if (digest && allRead) finish(() => resolve(digest as Uint8Array), true)
      }
      hasher.onmessage = (event: MessageEvent<HashReply>) => {
        const reply = event.data
        if (reply.type === 'progress') onProgress?.(reply.bytesHashed)
        else if (reply.type === 'checkpoint') onCheckpoint?.({ state: reply.state, offset: reply.offset })
        else if (reply.type === 'done') {
          digest = new Uint8Array(reply.digest)
          resolveWhenBoth()
        } else fail(`hashing failed: ${reply.message}`)
      }
      reader.onmessage = (event: MessageEvent<ReadReply>) => {
        const reply = event.data
        if (reply.type === 'chunk') {
          chunkDigests?.onChunk({ start: reply.start, end: reply.end, digest: new Uint8Array(reply.digest) })
        } else if (reply.type === 'read') {
          allRead = true
          resolveWhenBoth()
        } else fail(`hashing failed: ${reply.message}`)
      }
      for (const worker of [reader, hasher]) {
        worker.onerror = (event) => {
          event.preventDefault()
          fail(`hash worker failed: ${event.message}`)
        }
      }
      const { sliceSize, checkpointBytes } = this.#options
      const { port1, port2 } = new MessageChannel()
      const readRequest: ReadRequest = {
        role: 'read',
        blob,
        segmentSize: chunkDigests?.chunkSize ?? sliceSize,
        ...(chunkDigests ? { chunkSize: chunkDigests.chunkSize } : {}),
        segments: port1,
      }
      const hashRequest: HashRequest = {
        role: 'hash',
        size: blob.size,
        checkpointBytes,
        ...(resumeFrom ? { resumeFrom } : {}),
        segments: port2,
      }
      try {
        reader.postMessage(readRequest, [port1])
        hasher.postMessage(hashRequest, [port2])
      } catch (error) {
        // A Blob or checkpoint that cannot be cloned (a checkpoint object from custom storage).
        finish(() => reject(hashFailed('could not hand the file to the hash workers', error)))
      }
    })
  }

  /**
   * Starts the workers of the next `digest()` now, so that they have loaded and compiled their
   * WebAssembly by the time the file is hashed. An upload calls this before it asks the server
   * what it supports: the first chunk's checksum, which the first PATCH waits for, was measured
   * 150–320 ms after `digest()` with a worker started on demand, 55–105 ms of it starting the worker.
   */
  prepare(): () => void {
    if (this.#prepared) return () => {}
    const started = takeWorkerPair(this.#options.workerUrl)
    // An error before digest() listens (a worker-src CSP, a bad workerUrl) would go unseen: the
    // next digest() then starts workers of its own, whose error it reports.
    for (const worker of [started.reader, started.hasher]) {
      worker.onerror = (event) => {
        event.preventDefault()
        started.failed = true
      }
    }
    this.#prepared = started
    return () => {
      if (this.#prepared !== started) return
      this.#prepared = undefined
      giveBackWorkerPair(started)
    }
  }

  #takeWorkers(): WorkerPair {
    const prepared = this.#prepared
    this.#prepared = undefined
    if (prepared && !prepared.failed) return prepared
    if (prepared) stopWorkerPair(prepared)
    return takeWorkerPair(this.#options.workerUrl)
  }
}

function hashFailed(message: string, cause: unknown): FerryError {
  return new FerryError(`${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { code: 'hash-failed', cause })
}

function abortError(): FerryError {
  return new FerryError('hashing was aborted', { code: 'aborted' })
}
