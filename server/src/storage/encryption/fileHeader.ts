import { hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { EncryptionError } from './errors.js'
import {
  checkRecordSize,
  DEFAULT_RECORD_SIZE,
  FORMAT_VERSION,
  HEADER_SIZE,
  MAGIC,
  MAX_RECORD_SIZE,
} from './format.js'

const KEY_SIZE = 32
const SALT_SIZE = 16
const CHECK_SIZE = 16
const LABEL = 'ferry-server encryption v1'

export interface FileHeaderOptions {
  /** The 32-byte master key. */
  masterKey: Uint8Array
  /** What the file is bound to: the tus upload id, or the object key of a derived file. */
  fileId: string
}

/** A file's own key and record size, from `openFileHeader`. */
export interface OpenedFile {
  key: Buffer
  recordSize: number
}

/**
 * A new file's header with a fresh salt, and the file key it commits to.
 * @example
 * const { header, key } = createFileHeader({ masterKey, fileId: 'a1b2' })
 */
export function createFileHeader(
  options: FileHeaderOptions & { recordSize?: number },
): { header: Buffer; key: Buffer } {
  const { masterKey, fileId, recordSize = DEFAULT_RECORD_SIZE } = options
  checkRecordSize(recordSize)
  const salt = randomBytes(SALT_SIZE)
  const { key, check } = deriveKeys(checkMasterKey(masterKey), salt, recordSize, fileId)
  const header = Buffer.alloc(HEADER_SIZE)
  header.write(MAGIC, 0, 'latin1')
  header.writeUInt8(FORMAT_VERSION, 8)
  header.writeUInt32BE(recordSize, 9)
  salt.copy(header, 13)
  check.copy(header, 13 + SALT_SIZE)
  return { header, key }
}

/**
 * Checks a file's header against the master key and file id, and returns the file key.
 * @example
 * const { key, recordSize } = openFileHeader({ masterKey, fileId: 'a1b2', header: firstBytes })
 */
export function openFileHeader(options: FileHeaderOptions & { header: Uint8Array }): OpenedFile {
  const { fileId } = options
  const { buffer, byteOffset, byteLength } = options.header
  const header = Buffer.from(buffer, byteOffset, byteLength)
  if (header.length < MAGIC.length || header.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    const message = `file "${fileId}" has no ${MAGIC} header: it was stored unencrypted`
    throw new EncryptionError('not-encrypted', message)
  }
  if (header.length < HEADER_SIZE) {
    throw new EncryptionError('truncated', `file "${fileId}" ends inside its header`)
  }
  const version = header.readUInt8(8)
  if (version !== FORMAT_VERSION) {
    const message = `file "${fileId}" has format version ${version}, not ${FORMAT_VERSION}`
    throw new EncryptionError('unsupported-version', message)
  }
  const recordSize = header.readUInt32BE(9)
  const salt = header.subarray(13, 13 + SALT_SIZE)
  const valid = recordSize > 0 && recordSize <= MAX_RECORD_SIZE
  const masterKey = checkMasterKey(options.masterKey)
  const { key, check } = deriveKeys(masterKey, salt, valid ? recordSize : 1, fileId)
  if (!valid || !timingSafeEqual(check, header.subarray(13 + SALT_SIZE, HEADER_SIZE))) {
    throw new EncryptionError(
      'key-mismatch',
      `file "${fileId}" was not encrypted with this key for this id ` +
        '(a wrong key, a file moved from another id, or a damaged header)',
    )
  }
  return { key, recordSize }
}

/** Returns the master key as a Buffer of its own after checking it is 32 bytes. */
export function checkMasterKey(masterKey: Uint8Array): Buffer {
  if (!(masterKey instanceof Uint8Array) || masterKey.length !== KEY_SIZE) {
    const actual = masterKey instanceof Uint8Array ? `${masterKey.length} bytes` : typeof masterKey
    const message = `the encryption key must be ${KEY_SIZE} bytes, not ${actual}`
    throw new EncryptionError('invalid-key', message)
  }
  return Buffer.from(masterKey)
}

/** The file key and the header's key check, both bound to the salt, record size and file id. */
function deriveKeys(masterKey: Buffer, salt: Buffer, recordSize: number, fileId: string) {
  const size = Buffer.alloc(4)
  size.writeUInt32BE(recordSize)
  const info = Buffer.concat([Buffer.from(`${LABEL}\0`), size, Buffer.from(fileId, 'utf8')])
  const output = Buffer.from(hkdfSync('sha256', masterKey, salt, info, KEY_SIZE + CHECK_SIZE))
  return { key: output.subarray(0, KEY_SIZE), check: output.subarray(KEY_SIZE) }
}
