/**
 * The hash worker: reads the Blob once, as segments that line up with the upload's chunks, and
 * for each segment (1) when it is a whole chunk, digests it with WebCrypto and posts that SHA-256
 * for the chunk's `Upload-Checksum`, and (2) feeds it to hash-wasm's incremental SHA-256 of the
 * whole file. So the file is never held whole, each byte is read from it once, and the main
 * thread never touches the bytes. Every `checkpointBytes` it posts hash-wasm's saved state, which
 * the SDK stores with the upload so a reload continues hashing where it stopped. Bundled into the
 * SDK as a string (see rollup.config.mjs) so that a single `<script>` tag carries it.
 */
import { createSHA256 } from 'hash-wasm'
import { readSegments } from './readSegments.js'
import type { HashReply, HashRequest } from './types.js'

interface WorkerScope {
  onmessage: ((event: MessageEvent<HashRequest>) => void) | null
  postMessage(message: HashReply, transfer?: Transferable[]): void
}

const scope = self as unknown as WorkerScope
const UPDATE_SLICE = 1024 * 1024
// Compiled as soon as the worker starts, which may be well before it is asked to hash (see
// `WorkerHasher.prepare`). A worker hashes one file, so one hasher is enough.
const hasherReady = createSHA256()
hasherReady.catch(() => {}) // reported by the hash that awaits it

scope.onmessage = (event) => {
  hash(event.data).catch((error: unknown) => {
    scope.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) })
  })
}

async function hash({ blob, sliceSize, checkpointBytes, chunkSize, resumeFrom }: HashRequest): Promise<void> {
  const sha256 = await hasherReady
  sha256.init()
  let hashed = 0
  if (resumeFrom && resumeFrom.offset <= blob.size) {
    try {
      sha256.load(resumeFrom.state)
      hashed = resumeFrom.offset
    } catch {
      // A state from another hash-wasm version: hash from the first byte instead.
      sha256.init()
    }
  }
  const resumedAt = hashed
  let sinceCheckpoint = 0
  // The chunk digest runs on WebCrypto's own thread while hash-wasm works on the same bytes here;
  // at most one is in flight, so the copies it holds stay bounded.
  let chunkDigest: Promise<void> = Promise.resolve()
  let digestPending = false
  for await (const { start, bytes } of readSegments(blob, { from: hashed, segmentSize: chunkSize ?? sliceSize })) {
    const end = start + bytes.length
    if (chunkSize !== undefined && start % chunkSize === 0) {
      await chunkDigest
      // WebCrypto copies its input when called, so the segment's buffer may be refilled at once.
      digestPending = true
      chunkDigest = crypto.subtle.digest('SHA-256', bytes).then((digest) => {
        digestPending = false
        scope.postMessage({ type: 'chunk', start, end, digest }, [digest])
      })
    }
    // In slices, letting a finished chunk digest out between them: the upload waits for it, and
    // it would otherwise wait for hash-wasm's whole segment too (about 80 ms for 8 MiB here).
    for (let at = 0; at < bytes.length; at += UPDATE_SLICE) {
      sha256.update(bytes.subarray(at, at + UPDATE_SLICE))
      if (digestPending) await nextTask()
    }
    hashed = end
    sinceCheckpoint += bytes.length
    scope.postMessage({ type: 'progress', bytesHashed: hashed })
    if (sinceCheckpoint >= checkpointBytes && hashed < blob.size) {
      sinceCheckpoint = 0
      scope.postMessage({ type: 'checkpoint', state: sha256.save(), offset: hashed })
    }
  }
  await chunkDigest
  if (hashed === resumedAt) scope.postMessage({ type: 'progress', bytesHashed: hashed })
  const digest = sha256.digest('binary')
  scope.postMessage({ type: 'done', digest: digest.buffer as ArrayBuffer }, [digest.buffer as ArrayBuffer])
}

const taskChannel = new MessageChannel()
/** Resolves on a later task, after the tasks already queued (a WebCrypto result among them). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    taskChannel.port1.onmessage = () => resolve()
    taskChannel.port2.postMessage(undefined)
  })
}
