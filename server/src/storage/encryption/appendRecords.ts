import { open } from 'node:fs/promises'
import { EncryptionError } from './errors.js'
import { encryptRecord, HEADER_SIZE, RECORD_OVERHEAD } from './format.js'
import { removeTail, type UploadFileState, writeAt, writeTail } from './uploadFile.js'

/** Encrypted records are written in batches of about this many bytes (at least one record). */
const BATCH_BYTES = 1024 * 1024

export interface AppendResult {
  /** Plaintext bytes stored after the append. */
  offset: number
  /** What the source failed with; the bytes that arrived before it are stored all the same. */
  failure?: unknown
}

/**
 * Appends the plaintext of `source` to an upload: its partial last record (the tail) is decrypted
 * and refilled, each record that fills up is encrypted and appended, and what is left becomes the
 * new tail, encrypted under a fresh nonce. Reaching `size` seals the file with its final record.
 * Records are synced before the tail that follows them replaces the old one, so a crash never
 * loses acknowledged bytes; torn bytes past the last verified record are cut off first.
 */
export async function appendRecords(options: {
  state: UploadFileState
  source: AsyncIterable<unknown>
  /** The upload's declared length, if known. */
  size: number | undefined
}): Promise<AppendResult> {
  const { state, source, size } = options
  const { key, recordSize, path: file } = state
  let index = state.records
  let position = HEADER_SIZE + index * (recordSize + RECORD_OVERHEAD)
  const pending = Buffer.allocUnsafe(recordSize)
  let filled = state.tail.copy(pending)
  let received = 0
  let failure: unknown
  // Records are encrypted into one reused batch buffer: a buffer per record doubled the garbage
  // of an upload (cipher.update's output is a fresh buffer already), which V8 collects late.
  const stride = recordSize + RECORD_OVERHEAD
  const batch = Buffer.allocUnsafe(Math.max(1, Math.floor(BATCH_BYTES / stride)) * stride)
  let batchBytes = 0

  const handle = await open(file, 'r+')
  const flush = async () => {
    if (batchBytes === 0) return
    await writeAt(handle, position, [batch.subarray(0, batchBytes)])
    position += batchBytes
    batchBytes = 0
  }
  try {
    await handle.truncate(position)
    try {
      for await (const chunk of source) {
        const bytes = toBuffer(chunk)
        for (let at = 0; at < bytes.length; ) {
          const copied = bytes.copy(pending, filled, at, at + recordSize - filled)
          at += copied
          filled += copied
          received += copied
          if (filled < recordSize) continue
          encryptRecord({ key, index, plaintext: pending, final: false, into: batch.subarray(batchBytes) })
          batchBytes += stride
          index += 1
          filled = 0
          if (batchBytes === batch.length) await flush()
        }
      }
    } catch (error) {
      // Our own refusals (a file too large for its key) are not the client's failure to send.
      if (error instanceof EncryptionError) throw error
      failure = error
    }
    await flush()
    const offset = index * recordSize + filled
    const complete = size !== undefined && offset === size
    if (complete) {
      const plaintext = pending.subarray(0, filled)
      await writeAt(handle, position, [encryptRecord({ key, index, plaintext, final: true })])
    }
    await handle.sync()
    if (complete || (received > 0 && filled === 0)) {
      await removeTail(file)
    } else if (received > 0) {
      await writeTail({ file, key, index, plaintext: pending.subarray(0, filled) })
    }
    return failure === undefined ? { offset } : { offset, failure }
  } finally {
    await handle.close()
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk
  if (chunk instanceof Uint8Array) {
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  }
  if (typeof chunk === 'string') return Buffer.from(chunk)
  throw new TypeError(`ferry-server: an upload stream yielded ${typeof chunk}, not bytes`)
}
