import { ERROR_CODES } from '@ferry/protocol'
import { FerryHttpError } from '../errors.js'
import { type ChunkChecksum, createChunkHasher } from './chunkChecksum.js'

export interface ChunkChecksumOptions {
  /** Largest PATCH body that may carry `Upload-Checksum`; it is held in memory until verified. */
  maxChunkBytes: number
}

/** A declared body over `maxChunkBytes` answers 413 before a byte of it is read. */
export function refuseOversizeChunk(request: Request, { maxChunkBytes }: ChunkChecksumOptions): void {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > maxChunkBytes) throw tooLarge(maxChunkBytes)
}

/**
 * The tus checksum extension for one PATCH, for stores that cannot take bytes back: reads the body
 * (at most `maxChunkBytes`), checks it against the checksum, and returns a request carrying the
 * same bytes for the tus handler. A mismatch answers 460 before a single byte reaches the store,
 * so the offset does not move.
 */
export async function verifyChunkChecksum(
  request: Request,
  checksum: ChunkChecksum,
  { maxChunkBytes }: ChunkChecksumOptions,
): Promise<Request> {
  const hasher = createChunkHasher(checksum)
  const chunks: Uint8Array[] = []
  let received = 0
  if (request.body) {
    for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
      received += chunk.length
      if (received > maxChunkBytes) throw tooLarge(maxChunkBytes)
      hasher.update(chunk)
      chunks.push(chunk)
    }
  }
  const refusal = hasher.verdict()
  if (refusal) throw refusal
  const body = Buffer.concat(chunks)
  const headers = new Headers(request.headers)
  // The body is whole now: it goes on with a length, and without the trailer it no longer has.
  headers.delete('transfer-encoding')
  headers.delete('trailer')
  headers.set('content-length', String(body.length))
  return new Request(request.url, { method: request.method, headers, body })
}

function tooLarge(maxChunkBytes: number): FerryHttpError {
  return new FerryHttpError(
    413,
    ERROR_CODES.checksumChunkTooLarge,
    `a PATCH carrying Upload-Checksum may hold at most ${maxChunkBytes} bytes; send smaller chunks`,
  )
}
