import { readSegments } from '../readSegments.js'
import type { HasherToReader, ReadReply, ReadRequest, ReaderToHasher } from '../types.js'

/** Segments in flight between reader and hasher: one being hashed while the next is read. */
const BUFFERS = 2

/**
 * Reads the Blob from where the hasher says, in segments that line up with the upload's chunks,
 * into buffers the hasher gives back once it has hashed them; digests each whole chunk with
 * WebCrypto on the way and posts that SHA-256 for the chunk's `Upload-Checksum`.
 */
export async function readBlob(
  { blob, segmentSize, chunkSize, segments }: ReadRequest,
  post: (reply: ReadReply, transfer?: Transferable[]) => void,
): Promise<void> {
  const free: ArrayBuffer[] = []
  const waiting: (() => void)[] = []
  let lent = 0
  let started: (from: number) => void = () => {}
  const from = new Promise<number>((resolve) => (started = resolve))
  segments.onmessage = ({ data }: MessageEvent<HasherToReader>) => {
    if (data.type === 'start') return started(data.from)
    free.push(data.buffer)
    waiting.shift()?.()
  }
  const send = (message: ReaderToHasher, transfer: Transferable[] = []) => segments.postMessage(message, transfer)
  const takeBuffer = async (bytes: number): Promise<Uint8Array<ArrayBuffer>> => {
    if (lent < BUFFERS) {
      lent++
      // The first segment may be short (a resumed hash); the ones after it are not.
      return new Uint8Array(new ArrayBuffer(Math.min(segmentSize, blob.size - (await from))), 0, bytes)
    }
    while (free.length === 0) await new Promise<void>((resolve) => waiting.push(resolve))
    return new Uint8Array(free.pop() as ArrayBuffer, 0, bytes)
  }

  // WebCrypto digests on a thread of its own; at most one at a time, so its copies stay bounded.
  let chunkDigest: Promise<void> = Promise.resolve()
  for await (const { start, bytes } of readSegments(blob, { from: await from, segmentSize, takeBuffer })) {
    // Read before the buffer is handed on: transferring it leaves `bytes` empty.
    const end = start + bytes.length
    if (chunkSize !== undefined && start % chunkSize === 0) {
      await chunkDigest
      // WebCrypto copies its input when called, so the buffer may be handed on at once.
      chunkDigest = crypto.subtle.digest('SHA-256', bytes).then((digest) => {
        post({ type: 'chunk', start, end, digest }, [digest])
      })
    }
    send({ type: 'segment', start, length: bytes.length, buffer: bytes.buffer }, [bytes.buffer])
  }
  await chunkDigest
  send({ type: 'end' })
  // The worker may read another file next (workerPairs.ts): this one's channel is done, and the
  // buffers the hasher still gives back are dropped with it.
  segments.close()
  post({ type: 'read' })
}
