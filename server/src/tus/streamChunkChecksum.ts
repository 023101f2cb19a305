import { createHash } from 'node:crypto'
import { FerryHttpError } from '../errors.js'
import type { ChunkVerdict } from './chunkVerdicts.js'
import type { ChunkChecksum } from './verifyChunkChecksum.js'

/** A PATCH body whose `Upload-Checksum` is checked as it streams to the store. */
export interface StreamedChunkCheck extends ChunkVerdict {
  /** The same request, its body passing through the checksum. */
  request: Request
  /** The 460 to answer: the body ended with other bytes than the checksum names. */
  refusal(): FerryHttpError | undefined
}

/**
 * The tus checksum extension without holding the chunk in memory, for a store that cuts a refused
 * chunk back out (see chunkVerdicts.ts): the bytes flow on to the store as they arrive and the
 * verdict is known when the body ends, before the store's write returns. The body itself ends
 * normally either way: an errored body would make @tus/server answer (and unlock the upload)
 * while the store is still writing. The buffered check (verifyChunkChecksum.ts) stays for the
 * other stores.
 */
export function streamChunkChecksum(request: Request, { algorithm, expected }: ChunkChecksum): StreamedChunkCheck {
  if (!request.body) return { request, refusal: () => undefined }
  const hash = createHash(algorithm)
  let received = 0
  let refused: FerryHttpError | undefined
  const checking = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.length
      hash.update(chunk)
      controller.enqueue(chunk)
    },
    flush() {
      const actual = hash.digest('base64')
      if (actual === expected) return
      refused = new FerryHttpError(
        460,
        'checksum-mismatch',
        `Upload-Checksum ${algorithm} of the ${received} bytes received is ${actual}, not ${expected}; nothing was stored`,
      )
    },
  })
  const checked = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body.pipeThrough(checking),
    signal: request.signal,
    duplex: 'half',
  } as RequestInit)
  return { request: checked, refusal: () => refused }
}
