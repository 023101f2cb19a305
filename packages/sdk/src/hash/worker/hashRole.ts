import { createSHA256, type IHasher } from 'hash-wasm'
import type { HashReply, HashRequest, HasherToReader, ReaderToHasher } from '../types.js'

export function prepareHasher(): Promise<IHasher> {
  const ready = createSHA256()
  ready.catch(() => {}) // reported by the hash that awaits it
  return ready
}

/**
 * Continues from `resumeFrom` where hash-wasm can load it (else from the first byte), tells the
 * reader where to start, and hashes the segments it sends, giving each buffer back. Posts
 * progress per segment, the saved state every `checkpointBytes`, and the digest.
 */
export async function hashSegments(
  { size, checkpointBytes, resumeFrom, segments }: HashRequest,
  hasherReady: Promise<IHasher>,
  post: (reply: HashReply, transfer?: Transferable[]) => void,
): Promise<void> {
  const sha256 = await hasherReady
  sha256.init()
  let hashed = 0
  if (resumeFrom && resumeFrom.offset <= size) {
    try {
      sha256.load(resumeFrom.state)
      hashed = resumeFrom.offset
    } catch {
      // A state from another hash-wasm version: hash from the first byte instead.
      sha256.init()
    }
  }
  const resumedAt = hashed
  const send = (message: HasherToReader, transfer: Transferable[] = []) => segments.postMessage(message, transfer)
  let sinceCheckpoint = 0
  await new Promise<void>((resolve, reject) => {
    segments.onmessage = ({ data }: MessageEvent<ReaderToHasher>) => {
      if (data.type === 'end') return resolve()
      if (data.start !== hashed) return reject(new Error(`read bytes from ${data.start}, hashed up to ${hashed}`))
      sha256.update(new Uint8Array(data.buffer, 0, data.length))
      send({ type: 'buffer', buffer: data.buffer }, [data.buffer])
      hashed += data.length
      sinceCheckpoint += data.length
      post({ type: 'progress', bytesHashed: hashed })
      if (sinceCheckpoint >= checkpointBytes && hashed < size) {
        sinceCheckpoint = 0
        post({ type: 'checkpoint', state: sha256.save(), offset: hashed })
      }
    }
    send({ type: 'start', from: hashed })
  })
  // The worker may hash another file next (workerPairs.ts): this one's channel is done.
  segments.close()
  if (hashed !== size) throw new Error(`hashed ${hashed} bytes of a file of ${size}`)
  if (hashed === resumedAt) post({ type: 'progress', bytesHashed: hashed })
  const digest = sha256.digest('binary')
  post({ type: 'done', digest: digest.buffer as ArrayBuffer }, [digest.buffer as ArrayBuffer])
}
