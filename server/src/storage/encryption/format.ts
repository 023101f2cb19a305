/**
 * Design note: the on-disk format of an encrypted file, version 1.
 *
 *   file   = header | record 0 | record 1 | ... | record n
 *   header = 'FERRYENC' | version (1) | record size (uint32 BE) | salt (16) | key check (16)
 *   record = nonce (12, random) | AES-256-GCM ciphertext | tag (16)
 *
 * Every record holds `recordSize` plaintext bytes except a *final* one, which holds fewer (maybe
 * none) and ends a complete file. So plaintext byte `p` sits at a fixed place
 * (`plainToCipherOffset`), and a range decrypts only the records that cover it (`recordRange`).
 *
 * Each file has its own key: HKDF-SHA256(master key, salt, label | record size | file id). The rest
 * of that HKDF output is the header's key check, which tells a wrong key, a file moved from another
 * id or a damaged header apart from a torn record, before anything is cut off. A record's GCM
 * additional data is its index and whether it is final, so records cannot be reordered, moved to
 * another file (another key), dropped from the end (no final record) or appended.
 *
 * Why a nonce never repeats under a key: every encryption draws a fresh random 96-bit nonce,
 * including each re-encryption of an upload's partial last record as it grows, and each key serves
 * one file. Two of q encryptions collide with probability below q²/2⁹⁷; q is a file's records plus
 * its partial-record rewrites (at most one per PATCH), and indexes stop at `MAX_RECORDS` (2³², the
 * NIST SP 800-38D limit for random nonces). A 1 TiB upload sent in 2²⁴ PATCHes: below 2⁻⁴⁷. Two
 * files share a key only if their random 128-bit salts and ids match. Nothing has to be counted,
 * so nothing has to survive a crash for nonces to stay unique.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { EncryptionError } from './errors.js'

export const FORMAT_VERSION = 1
export const MAGIC = 'FERRYENC'
export const HEADER_SIZE = 45
export const NONCE_SIZE = 12
export const TAG_SIZE = 16
/** Bytes a record adds to its plaintext: nonce and tag. */
export const RECORD_OVERHEAD = NONCE_SIZE + TAG_SIZE
export const DEFAULT_RECORD_SIZE = 64 * 1024
export const MAX_RECORD_SIZE = 16 * 1024 * 1024
/** Records one file may have: the safe number of random 96-bit nonces per key. */
export const MAX_RECORDS = 2 ** 32

/** One record: its file's key, its index, and whether it ends a complete file. */
export interface RecordOptions {
  key: Buffer
  index: number
  final: boolean
}

/**
 * Encrypts one record under a fresh random nonce: `nonce | ciphertext | tag`, into `into` when
 * given (at least `plaintext.length + RECORD_OVERHEAD` bytes; the record is its start).
 * @example
 * const record = encryptRecord({ key, index: 0, plaintext, final: false })
 */
export function encryptRecord(options: RecordOptions & { plaintext: Uint8Array; into?: Buffer }): Buffer {
  const { key, index, plaintext, final } = options
  const size = plaintext.length + RECORD_OVERHEAD
  if (options.into && options.into.length < size) {
    throw new RangeError(`a record of ${size} bytes does not fit in ${options.into.length}`)
  }
  const record = options.into ? options.into.subarray(0, size) : Buffer.allocUnsafe(size)
  const nonce = randomBytes(NONCE_SIZE)
  nonce.copy(record, 0)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_SIZE })
  cipher.setAAD(additionalData(index, final))
  const body = cipher.update(plaintext)
  body.copy(record, NONCE_SIZE)
  cipher.final()
  cipher.getAuthTag().copy(record, NONCE_SIZE + body.length)
  return record
}

/**
 * Decrypts and verifies one record; throws `record-corrupt` rather than return unverified bytes.
 * @example
 * const plaintext = decryptRecord({ key, index: 0, record, final: false })
 */
export function decryptRecord(options: RecordOptions & { record: Uint8Array }): Buffer {
  const { key, index, record, final } = options
  if (record.length < RECORD_OVERHEAD) {
    const message = `record ${index} is ${record.length} bytes, shorter than its nonce and tag`
    throw new EncryptionError('truncated', message)
  }
  const tagStart = record.length - TAG_SIZE
  const nonce = record.subarray(0, NONCE_SIZE)
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_SIZE })
    decipher.setAAD(additionalData(index, final))
    decipher.setAuthTag(record.subarray(tagStart))
    const plaintext = decipher.update(record.subarray(NONCE_SIZE, tagStart))
    decipher.final()
    return plaintext
  } catch (error) {
    const message = `record ${index} failed authentication`
    throw new EncryptionError('record-corrupt', message, { cause: error })
  }
}

/**
 * Where plaintext byte `plainOffset` is stored in the file.
 * @example
 * plainToCipherOffset(65536, 65536) // 45 + 65564 + 12: first ciphertext byte of record 1
 */
export function plainToCipherOffset(plainOffset: number, recordSize: number): number {
  checkOffsets(plainOffset, plainOffset)
  const index = Math.floor(plainOffset / recordSize)
  const within = plainOffset - index * recordSize
  return HEADER_SIZE + index * (recordSize + RECORD_OVERHEAD) + NONCE_SIZE + within
}

/** The records covering an inclusive plaintext range, and the file bytes that hold them. */
export interface RecordRange {
  firstIndex: number
  lastIndex: number
  /** First file byte of record `firstIndex`. */
  cipherStart: number
  /** Last file byte of record `lastIndex` if it is full; a final record ends earlier. */
  cipherEnd: number
  /** Plaintext bytes of record `firstIndex` before `plainStart`. */
  skip: number
}

/**
 * The records to read and decrypt for plaintext bytes `plainStart` to `plainEnd` (inclusive).
 * @example
 * recordRange(70000, 70000, 65536) // { firstIndex: 1, lastIndex: 1, skip: 4464, ... }
 */
export function recordRange(plainStart: number, plainEnd: number, recordSize: number): RecordRange {
  checkOffsets(plainStart, plainEnd)
  const stride = recordSize + RECORD_OVERHEAD
  const firstIndex = Math.floor(plainStart / recordSize)
  const lastIndex = Math.floor(plainEnd / recordSize)
  return {
    firstIndex,
    lastIndex,
    cipherStart: HEADER_SIZE + firstIndex * stride,
    cipherEnd: HEADER_SIZE + (lastIndex + 1) * stride - 1,
    skip: plainStart - firstIndex * recordSize,
  }
}

/**
 * Size of a complete file holding `plainSize` bytes: full records, then a final one.
 * @example
 * cipherSizeOf(0, 65536) // 73: the header and an empty final record
 */
export function cipherSizeOf(plainSize: number, recordSize: number): number {
  const full = Math.floor(plainSize / recordSize)
  const final = plainSize - full * recordSize + RECORD_OVERHEAD
  return HEADER_SIZE + full * (recordSize + RECORD_OVERHEAD) + final
}

/** Throws `invalid-options` unless `recordSize` is a whole number of bytes the format allows. */
export function checkRecordSize(recordSize: number): void {
  if (!Number.isInteger(recordSize) || recordSize < 1 || recordSize > MAX_RECORD_SIZE) {
    const message = `recordSize must be 1 to ${MAX_RECORD_SIZE} bytes, not ${recordSize}`
    throw new EncryptionError('invalid-options', message)
  }
}

function additionalData(index: number, final: boolean): Buffer {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_RECORDS) {
    const message = `record index ${index} is outside 0 to ${MAX_RECORDS - 1}: a file too large`
    throw new EncryptionError('too-large', message)
  }
  const data = Buffer.alloc(5)
  data.writeUInt32BE(index, 0)
  data.writeUInt8(final ? 1 : 0, 4)
  return data
}

function checkOffsets(start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new EncryptionError('out-of-range', `bytes ${start}-${end} are not a valid range`)
  }
}
