import { EncryptionError } from './errors.js'
import { decryptRecord, RECORD_OVERHEAD } from './format.js'

export interface DecryptRecordsOptions {
  /** The file's own key, from `openFileHeader`. */
  key: Buffer
  recordSize: number
  /** Index of the record `source` starts with. */
  firstIndex: number
  /**
   * Plaintext bytes of the first record to leave out.
   * @default 0
   */
  skip?: number
  /**
   * Plaintext bytes to yield; the source must hold them all.
   * @default everything up to the final record, which the source must end with
   */
  length?: number
}

/**
 * Decrypts file bytes that start on a record boundary, yielding only verified plaintext. A record
 * that stops short of full length at the end of `source` is taken as the file's final record, so a
 * file cut on a record boundary (or extended) fails instead of reading as a shorter file.
 * @example
 * const range = recordRange(start, end, recordSize)
 * const source = createReadStream(file, { start: range.cipherStart, end: range.cipherEnd })
 * const plaintext = Readable.from(
 *   decryptRecords(source, { key, recordSize, firstIndex: range.firstIndex, skip: range.skip,
 *     length: end - start + 1 }),
 *   { objectMode: false },
 * )
 */
export async function* decryptRecords(
  source: AsyncIterable<Uint8Array>,
  options: DecryptRecordsOptions,
): AsyncGenerator<Buffer> {
  const { key, recordSize } = options
  const stride = recordSize + RECORD_OVERHEAD
  let index = options.firstIndex
  let skip = options.skip ?? 0
  let remaining = options.length ?? Number.POSITIVE_INFINITY
  let buffered: Buffer = Buffer.alloc(0)

  const open = (record: Buffer, final: boolean): Buffer => {
    const plaintext = decryptRecord({ key, index, record, final })
    const part = plaintext.subarray(skip, skip + Math.min(remaining, plaintext.length))
    index += 1
    skip = 0
    remaining -= part.length
    return part
  }

  if (remaining <= 0) return
  for await (const chunk of source) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    buffered = buffered.length === 0 ? bytes : Buffer.concat([buffered, bytes])
    let at = 0
    // A record of full length is never the final one: final records hold fewer bytes.
    while (remaining > 0 && buffered.length - at >= stride) {
      const part = open(buffered.subarray(at, at + stride), false)
      at += stride
      if (part.length > 0) yield part
    }
    buffered = buffered.subarray(at)
    // Returning ends the for-await loop, which destroys the source stream.
    if (remaining <= 0) return
  }
  if (buffered.length > 0) {
    const part = open(buffered, true)
    if (part.length > 0) yield part
    if (options.length === undefined || remaining <= 0) return
  }
  const missing = options.length === undefined ? 'its final record' : `${remaining} more bytes`
  throw new EncryptionError('truncated', `the file ends at record ${index}, before ${missing}`)
}
