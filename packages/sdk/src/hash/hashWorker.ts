/**
 * The hash worker: reads the Blob slice by slice and feeds hash-wasm's incremental SHA-256, so
 * the file is never held whole and the main thread never touches the bytes. Every
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
  let start = 0
  if (resumeFrom && resumeFrom.offset <= blob.size) {
    try {
      sha256.load(resumeFrom.state)
      start = resumeFrom.offset
    } catch {
      // A state from another hash-wasm version: hash from the first byte instead.
      sha256.init()
    }
  }
  let sinceCheckpoint = 0
  for (; start < blob.size; start += sliceSize) {
    const bytes = new Uint8Array(await blob.slice(start, start + sliceSize).arrayBuffer())
    sha256.update(bytes)
    const hashed = Math.min(start + sliceSize, blob.size)
    scope.postMessage({ type: 'progress', bytesHashed: hashed })
    sinceCheckpoint += bytes.length
    if (sinceCheckpoint >= checkpointBytes && hashed < blob.size) {
      sinceCheckpoint = 0
      scope.postMessage({ type: 'checkpoint', state: sha256.save(), offset: hashed })
    }
  }
  const digest = sha256.digest('binary')
  scope.postMessage({ type: 'done', digest: digest.buffer as ArrayBuffer }, [digest.buffer as ArrayBuffer])
}
