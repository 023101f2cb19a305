import type { ObjectStore, StorageBackend } from './types.js'

/** The first `bytes` of an upload's stored bytes (fewer if it is shorter). */
export function readHead(backend: StorageBackend, id: string, bytes: number): Promise<Uint8Array> {
  return readObjectHead(backend.objects, backend.keyOf(id), bytes)
}

/** The first `bytes` of an object (fewer if it is shorter). */
export async function readObjectHead(objects: ObjectStore, key: string, bytes: number): Promise<Uint8Array> {
  if (bytes <= 0) return new Uint8Array(0)
  return firstBytes(await objects.read(key, { start: 0, end: bytes - 1 }), bytes)
}

/** Up to `bytes` from the start of a stream; leaving the loop early lets the stream go. */
export async function firstBytes(stream: AsyncIterable<unknown>, bytes: number): Promise<Uint8Array> {
  const pieces: Buffer[] = []
  let length = 0
  for await (const piece of stream) {
    pieces.push(piece as Buffer)
    length += (piece as Buffer).length
    if (length >= bytes) break
  }
  return Buffer.concat(pieces).subarray(0, bytes)
}
