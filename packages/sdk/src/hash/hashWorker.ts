/**
 * The script of `WorkerHasher`'s two workers. One reads the Blob and digests the upload's whole
 * chunks with WebCrypto (`readRole`); the other feeds what it read to hash-wasm's incremental
 * SHA-256 of the whole file (`hashRole`). Reading a Blob costs its thread about a sixth of what
 * hash-wasm does, so on a thread of its own it overlaps the hash instead of adding to it. The
 * segments pass between them transferred, never copied, and the main thread never touches the
 * bytes. Bundled into the SDK as a string (see rollup.config.mjs) so that a single `<script>` tag
 * carries it.
 */
import { hashSegments, prepareHasher } from './worker/hashRole.js'
import { readBlob } from './worker/readRole.js'
import { READER_NAME, type WorkerRequest } from './types.js'

interface WorkerScope {
  name: string
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null
  postMessage(message: unknown, transfer?: Transferable[]): void
}

const scope = self as unknown as WorkerScope
// Compiled as soon as the hasher starts, well before it is asked to hash (`WorkerHasher.prepare`).
const hasherReady = scope.name === READER_NAME ? undefined : prepareHasher()

scope.onmessage = (event) => {
  const request = event.data
  const post = (message: unknown, transfer: Transferable[] = []) => scope.postMessage(message, transfer)
  const work = request.role === 'read' ? readBlob(request, post) : hashSegments(request, hasherReady ?? prepareHasher(), post)
  work.catch((error: unknown) => {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) })
  })
}
