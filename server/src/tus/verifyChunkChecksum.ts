import { createHash } from 'node:crypto'
import { FerryHttpError } from '../errors.js'

/** The tus checksum extension's algorithms this server verifies. */
export const CHECKSUM_ALGORITHMS = ['sha1', 'md5', 'sha256'] as const

export interface ChunkChecksumOptions {
  /** Largest PATCH body that may carry `Upload-Checksum`; it is held in memory until verified. */
  maxChunkBytes: number
}

/** An `Upload-Checksum` header that names a supported algorithm and a base64 value. */
export interface ChunkChecksum {
  algorithm: (typeof CHECKSUM_ALGORITHMS)[number]
  expected: string
}

/**
 * Checks everything about `Upload-Checksum` that needs no byte of the body: an unknown algorithm
 * answers 400, as the extension asks, and a declared body over `maxChunkBytes` 413.
 */
export function parseChunkChecksum(request: Request, header: string, { maxChunkBytes }: ChunkChecksumOptions): ChunkChecksum {
  const [algorithm = '', expected = '', ...rest] = header.trim().split(/\s+/)
  if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm) || rest.length > 0) {
    throw new FerryHttpError(
      400,
      'checksum-algorithm',
      `Upload-Checksum algorithm "${algorithm}" is not supported; use one of ${CHECKSUM_ALGORITHMS.join(', ')}`,
    )
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(expected)) {
    throw new FerryHttpError(400, 'checksum-invalid', `Upload-Checksum value is not base64: "${expected}"`)
  }
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > maxChunkBytes) throw tooLarge(maxChunkBytes)
  return { algorithm: algorithm as ChunkChecksum['algorithm'], expected }
}

/**
 * The tus checksum extension for one PATCH: reads the body (at most `maxChunkBytes`), checks it
 * against the parsed `Upload-Checksum`, and returns a request carrying the same bytes for the tus
 * handler. A mismatch answers 460 before a single byte reaches the store, so the offset does not
 * move.
 */
export async function verifyChunkChecksum(
  request: Request,
  { algorithm, expected }: ChunkChecksum,
  { maxChunkBytes }: ChunkChecksumOptions,
): Promise<Request> {
  const hash = createHash(algorithm)
  const chunks: Uint8Array[] = []
  let received = 0
  if (request.body) {
    for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
      received += chunk.length
      if (received > maxChunkBytes) throw tooLarge(maxChunkBytes)
      hash.update(chunk)
      chunks.push(chunk)
    }
  }
  const actual = hash.digest('base64')
  if (actual !== expected) {
    throw new FerryHttpError(
      460,
      'checksum-mismatch',
      `Upload-Checksum ${algorithm} of the ${received} bytes received is ${actual}, not ${expected}; nothing was stored`,
    )
  }
  const body = Buffer.concat(chunks)
  const headers = new Headers(request.headers)
  headers.set('content-length', String(body.length))
  return new Request(request.url, { method: request.method, headers, body })
}

function tooLarge(maxChunkBytes: number): FerryHttpError {
  return new FerryHttpError(
    413,
    'checksum-chunk-too-large',
    `a PATCH carrying Upload-Checksum may hold at most ${maxChunkBytes} bytes; send smaller chunks`,
  )
}
