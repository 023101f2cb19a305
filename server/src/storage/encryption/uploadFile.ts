/**
 * One encrypted upload on disk: `<id>` holds the header and the whole records; until the upload is
 * complete, the partial last record lives in `<id>.tail` (its index, then the record), replaced
 * whole by write-then-rename. Rewriting that record inside `<id>` instead could tear bytes already
 * acknowledged to the client; this way `<id>` is only ever appended to, and a crash at any point
 * leaves either the old tail or the new one. Once complete, the file gets its final record and
 * the tail goes.
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { type FileHandle, open, readFile, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { decryptRecords } from './decryptRecords.js'
import { EncryptionError } from './errors.js'
import { openFileHeader } from './fileHeader.js'
import {
  decryptRecord,
  encryptRecord,
  HEADER_SIZE,
  RECORD_OVERHEAD,
  recordRange,
} from './format.js'

/** What is stored for one upload, with every record it counts verified. */
export interface UploadFileState {
  path: string
  /** The file's own key. */
  key: Buffer
  recordSize: number
  /** Whole records in `<id>` that verify; a torn or damaged last record is not counted. */
  records: number
  /** Plaintext bytes of the final record; only a complete file has one. */
  finalLength: number | undefined
  /** Plaintext of the partial last record in `<id>.tail`; empty when there is none. */
  tail: Buffer
  /** Plaintext bytes stored: the upload's tus offset. */
  offset: number
}

const EMPTY = Buffer.alloc(0)

/** Reads and verifies what is stored at `file` (throws ENOENT when there is no file). */
export async function inspectUploadFile(options: {
  file: string
  masterKey: Uint8Array
  fileId: string
}): Promise<UploadFileState> {
  const { file, masterKey, fileId } = options
  const handle = await open(file, 'r')
  try {
    const header = await readAt(handle, 0, HEADER_SIZE)
    const { key, recordSize } = openFileHeader({ masterKey, fileId, header })
    const stride = recordSize + RECORD_OVERHEAD
    const size = (await handle.stat()).size
    let records = Math.floor((size - HEADER_SIZE) / stride)
    const rest = size - HEADER_SIZE - records * stride
    const verifies = async (index: number, length: number, final: boolean) => {
      const record = await readAt(handle, HEADER_SIZE + index * stride, length)
      return attempt(() => decryptRecord({ key, index, record, final })) !== undefined
    }
    const state = { path: file, key, recordSize, finalLength: undefined, tail: EMPTY }
    if (rest >= RECORD_OVERHEAD && (await verifies(records, rest, true))) {
      const finalLength = rest - RECORD_OVERHEAD
      return { ...state, records, finalLength, offset: records * recordSize + finalLength }
    }
    // Anything after the last record that verifies is a write the process died in (or, after a
    // power cut, garbage): the offset falls back to the record before, and the next write
    // truncates it. The header check above has ruled out a wrong key, which would fail them all.
    while (records > 0 && !(await verifies(records - 1, stride, false))) records -= 1
    const tail = await readTail({ file, key, index: records })
    return { ...state, records, tail, offset: records * recordSize + tail.length }
  } finally {
    await handle.close()
  }
}

/** Plaintext bytes `start` to `end` (inclusive, below `state.offset`), each record verified. */
export async function* readUploadFile(
  state: UploadFileState,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  const { key, recordSize } = state
  const inFile = state.records * recordSize + (state.finalLength ?? 0)
  if (start < inFile) {
    const last = Math.min(end, inFile - 1)
    const { firstIndex, skip, cipherStart, cipherEnd } = recordRange(start, last, recordSize)
    // Chunks of whole records, so records rarely need joining from two chunks.
    const highWaterMark = 16 * (recordSize + RECORD_OVERHEAD)
    const source = createReadStream(state.path, {
      start: cipherStart,
      end: cipherEnd,
      highWaterMark,
    })
    yield* decryptRecords(source, { key, recordSize, firstIndex, skip, length: last - start + 1 })
  }
  if (end >= inFile) yield state.tail.subarray(Math.max(0, start - inFile), end - inFile + 1)
}

/** Replaces `<file>.tail` with the partial record `index`, encrypted under a fresh nonce. */
export async function writeTail(options: {
  file: string
  key: Buffer
  index: number
  plaintext: Uint8Array
}): Promise<void> {
  const { file, key, index, plaintext } = options
  const prefix = Buffer.alloc(4)
  prefix.writeUInt32BE(index)
  const record = encryptRecord({ key, index, plaintext, final: false })
  await replaceFile(tailOf(file), [prefix, record])
}

/** Removes `<file>.tail`; a missing one is not an error. */
export async function removeTail(file: string): Promise<void> {
  await rm(tailOf(file), { force: true })
}

/**
 * Writes `target` whole or not at all: a synced temporary file renamed over it, then the folder
 * synced so that the rename itself survives a power cut. The temporary name sorts after
 * `<id>.json`, which keeps @tus/utils' FileKvStore pairing `<id>` with `<id>.json` in its list.
 */
export async function replaceFile(target: string, contents: Buffer[]): Promise<void> {
  const temporary = `${target}.tmp-${randomBytes(6).toString('hex')}`
  const handle = await open(temporary, 'w')
  try {
    await writeAt(handle, 0, contents)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temporary, target)
  // Best effort: some platforms (Windows) cannot open a folder to sync it.
  const folder = await open(path.dirname(target), 'r').catch(() => undefined)
  await folder?.sync().catch(() => undefined)
  await folder?.close()
}

/** Reads `length` bytes at `position`, fewer at the end of the file. */
export async function readAt(
  handle: FileHandle,
  position: number,
  length: number,
): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  const { bytesRead } = await handle.read(buffer, 0, length, position)
  return buffer.subarray(0, bytesRead)
}

/** Writes all of `buffers` at `position`, going on where the system wrote only part of them. */
export async function writeAt(handle: FileHandle, position: number, buffers: Buffer[]) {
  const total = buffers.reduce((sum, buffer) => sum + buffer.length, 0)
  const { bytesWritten } = await handle.writev(buffers, position)
  let rest = bytesWritten < total ? Buffer.concat(buffers).subarray(bytesWritten) : undefined
  for (let at = position + bytesWritten; rest && rest.length > 0; ) {
    const written = (await handle.write(rest, 0, rest.length, at)).bytesWritten
    rest = rest.subarray(written)
    at += written
  }
}

async function readTail(options: { file: string; key: Buffer; index: number }): Promise<Buffer> {
  const contents = await readFile(tailOf(options.file)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return EMPTY
    throw error
  })
  // A tail for an earlier index is stale: the process died after appending the record it grew
  // into and before replacing it. One that fails its tag is lost like a torn record.
  if (contents.length < 4 || contents.readUInt32BE(0) !== options.index) return EMPTY
  const record = contents.subarray(4)
  const { key, index } = options
  return attempt(() => decryptRecord({ key, index, record, final: false })) ?? EMPTY
}

function attempt(decrypt: () => Buffer): Buffer | undefined {
  try {
    return decrypt()
  } catch (error) {
    if (error instanceof EncryptionError) return undefined
    throw error
  }
}

function tailOf(file: string): string {
  return `${file}.tail`
}
