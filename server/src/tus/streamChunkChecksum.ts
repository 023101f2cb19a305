import type { FerryHttpError } from '../errors.js'
import { withBody } from '../http/withBody.js'
import { type ChunkVerdict, fileChunkVerdict } from './chunkVerdicts.js'
import { type ChunkChecksum, createChunkHasher } from './chunkChecksum.js'

/** A PATCH body whose `Upload-Checksum` is checked as it streams to the store. */
export interface StreamedChunkCheck extends ChunkVerdict {
  /** The same request, its body passing through the checksum. */
  request: Request
  /** The 460 (or 400) to answer: the body ended with other bytes than the checksum names. */
  refusal(): FerryHttpError | undefined
}

/**
 * The tus checksum extension without holding the chunk in memory, for a store that cuts a refused
 * chunk back out (see chunkVerdicts.ts): the bytes flow on to the store as they arrive and the
 * verdict is known when the body ends (a trailer has arrived by then), before the store's write
 * returns. The body itself ends normally either way: an errored body would make @tus/server
 * answer (and unlock the upload) while the store is still writing. The buffered check
 * (verifyChunkChecksum.ts) stays for the other stores.
 */
export function streamChunkChecksum(request: Request, checksum: ChunkChecksum, id: string): StreamedChunkCheck {
  const hasher = createChunkHasher(checksum)
  let ended = false
  const refusal = () => (ended ? hasher.verdict() : undefined)
  const checking = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hasher.update(chunk)
      controller.enqueue(chunk)
    },
    flush() {
      ended = true
      fileChunkVerdict(id, check)
    },
  })
  const checked = withBody(request, (request.body ?? emptyBody()).pipeThrough(checking))
  // Judged only once the body has ended: before that, a trailer cannot have arrived.
  const check: StreamedChunkCheck = { request: checked, refusal }
  return check
}

function emptyBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.close() })
}
