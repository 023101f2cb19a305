/**
 * The hash worker: streams the Blob and feeds hash-wasm's incremental SHA-256, so the file is
 * never held whole and the main thread never touches the bytes. Every
 * `checkpointBytes` it posts hash-wasm's saved state, which the SDK stores with the upload so a
 * reload continues hashing where it stopped. Bundled into the SDK as a string (see
 * rollup.config.mjs) so that a single `<script>` tag carries it.
 */
import { createSHA256 } from 'hash-wasm'
import type { HashReply, HashRequest } from './types.js'

interface WorkerScope {
  onmessage: ((event: MessageEvent<HashRequest>) => void) | null
  postMessage(message: HashReply, transfer?: Transferable[]): void
}

const scope = self as unknown as WorkerScope

scope.onmessage = (event) => {
  hash(event.data).catch((error: unknown) => {
    scope.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) })
  })
}

async function hash({ blob, sliceSize, checkpointBytes, resumeFrom }: HashRequest): Promise<void> {
  const sha256 = await createSHA256()
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
  // One stream instead of a slice per step: Chromium counts every live slice of an in-memory
  // Blob against its blob storage until it is collected, and a Worker that allocates little is
  // rarely collected, so slicing a large generated Blob here ran out of storage.
  const reader = (hashed > 0 ? blob.slice(hashed) : blob).stream().getReader()
  let sinceProgress = 0
  let sinceCheckpoint = 0
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    sha256.update(value)
    hashed += value.length
    sinceProgress += value.length
    sinceCheckpoint += value.length
    if (sinceProgress >= sliceSize) {
      sinceProgress = 0
      scope.postMessage({ type: 'progress', bytesHashed: hashed })
    }
    if (sinceCheckpoint >= checkpointBytes && hashed < blob.size) {
      sinceCheckpoint = 0
      scope.postMessage({ type: 'checkpoint', state: sha256.save(), offset: hashed })
    }
  }
  scope.postMessage({ type: 'progress', bytesHashed: hashed })
  const digest = sha256.digest('binary')
  scope.postMessage({ type: 'done', digest: digest.buffer as ArrayBuffer }, [digest.buffer as ArrayBuffer])
}
