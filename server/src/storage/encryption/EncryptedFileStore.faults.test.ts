import { randomBytes } from 'node:crypto'
import { copyFile, open, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { ERRORS } from '@tus/utils'
import { afterEach, describe, expect, it } from 'vitest'
import { EncryptedFileStore } from './EncryptedFileStore.js'
import { createUpload, readAll, sha256, temporaryStore, TEST_KEY } from './encryptionTestKit.js'
import { EncryptionError } from './errors.js'
import { DEFAULT_RECORD_SIZE, HEADER_SIZE, plainToCipherOffset, RECORD_OVERHEAD } from './format.js'

const R = DEFAULT_RECORD_SIZE
const STRIDE = R + RECORD_OVERHEAD
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** A store holding one upload of `size` bytes with the first `stored` of them written. */
async function uploadWith(size: number, stored = size) {
  const temporary = await temporaryStore()
  cleanups.push(temporary.remove)
  const bytes = randomBytes(size)
  const id = await createUpload(temporary.store, size)
  await temporary.store.write(Readable.from([bytes.subarray(0, stored)]), id, 0)
  const { store } = temporary
  return {
    ...temporary,
    bytes,
    id,
    file: path.join(temporary.directory, id),
    /** Sends the upload's bytes from `from` to `to` (default: the end) in one PATCH. */
    send: (from: number, to = size) =>
      store.write(Readable.from([bytes.subarray(from, to)]), id, from),
    read: async (start: number, end: number) => readAll(await store.readRange(id, { start, end })),
    readWhole: async () => readAll(await store.readRange(id)),
  }
}

const typed = (code: string) => expect.objectContaining({ name: 'EncryptionError', code })

async function overwrite(file: string, position: number, bytes: Buffer) {
  const handle = await open(file, 'r+')
  await handle.write(bytes, 0, bytes.length, position)
  await handle.close()
}

describe('EncryptedFileStore refuses damaged or foreign data', () => {
  it('fails on one changed ciphertext byte, after yielding only verified bytes', async () => {
    const { store, id, file, bytes, read } = await uploadWith(5 * R + 7)
    const at = plainToCipherOffset(2 * R + 100, R)
    await overwrite(file, at, Buffer.from([((await readFile(file))[at] ?? 0) ^ 0x01]))
    const received: Buffer[] = []
    const consume = async () => {
      for await (const chunk of await store.readRange(id)) received.push(chunk)
    }
    await expect(consume()).rejects.toEqual(typed('record-corrupt'))
    const before = Buffer.concat(received)
    expect(before.length).toBeLessThanOrEqual(2 * R)
    expect(before.equals(bytes.subarray(0, before.length))).toBe(true)
    await expect(read(2 * R + 100, 2 * R + 100)).rejects.toEqual(typed('record-corrupt'))
    expect((await read(0, 2 * R - 1)).equals(bytes.subarray(0, 2 * R))).toBe(true)
  })

  it('fails when two records swap places', async () => {
    const { file, read } = await uploadWith(4 * R + 1)
    const contents = await readFile(file)
    const recordAt = (index: number) => HEADER_SIZE + index * STRIDE
    const first = Buffer.from(contents.subarray(recordAt(1), recordAt(2)))
    const second = Buffer.from(contents.subarray(recordAt(2), recordAt(3)))
    await overwrite(file, recordAt(1), second)
    await overwrite(file, recordAt(2), first)
    await expect(read(R, R)).rejects.toEqual(typed('record-corrupt'))
    await expect(read(2 * R, 3 * R)).rejects.toEqual(typed('record-corrupt'))
  })

  it('refuses a wrong key, or a file moved to another id, changing nothing', async () => {
    const { store, directory, id, file } = await uploadWith(3 * R, 2 * R + 5)
    const before = sha256(await readFile(file))
    const key = randomBytes(32)
    const stranger = new EncryptedFileStore({ directory, key, expirationPeriodInMilliseconds: 1 })
    await expect(stranger.getUpload(id)).rejects.toEqual(typed('key-mismatch'))
    await expect(stranger.readRange(id)).rejects.toEqual(typed('key-mismatch'))
    const more = Readable.from([Buffer.alloc(10)])
    await expect(stranger.write(more, id, 2 * R + 5)).rejects.toEqual(typed('key-mismatch'))
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(await stranger.deleteExpired()).toBe(0)
    expect(sha256(await readFile(file))).toBe(before)
    expect((await store.getUpload(id)).offset).toBe(2 * R + 5)

    const other = await createUpload(store, 3 * R)
    await copyFile(file, path.join(directory, other))
    await expect(store.getUpload(other)).rejects.toEqual(typed('key-mismatch'))
  })

  it('refuses a file stored without encryption', async () => {
    const { store, file, id } = await uploadWith(10)
    await writeFile(file, 'plain bytes from before encryption was turned on')
    await expect(store.getUpload(id)).rejects.toEqual(typed('not-encrypted'))
  })
})

describe('EncryptedFileStore after a crash', () => {
  it('falls back to the last whole record when the last is torn, and resumes there', async () => {
    const { store, id, file, bytes, send, readWhole } = await uploadWith(5 * R + 7, 4 * R)
    await truncate(file, HEADER_SIZE + 3 * STRIDE + 1000)
    expect((await store.getUpload(id)).offset).toBe(3 * R)
    expect(await send(3 * R)).toBe(bytes.length)
    expect(sha256(await readWhole())).toBe(sha256(bytes))
  })

  it('keeps an acknowledged partial record when the append after it was torn', async () => {
    const { store, id, file, bytes, send, readWhole } = await uploadWith(4 * R, 2 * R + 500)
    // The process died while appending record 2 (grown from the partial one): half of it landed.
    await overwrite(file, HEADER_SIZE + 2 * STRIDE, randomBytes(STRIDE / 2))
    expect((await store.getUpload(id)).offset).toBe(2 * R + 500)
    expect(await send(2 * R + 500)).toBe(bytes.length)
    expect(sha256(await readWhole())).toBe(sha256(bytes))
  })

  it('ignores a stale partial record left between an append and its replacement', async () => {
    const { store, id, file, bytes, send, readWhole } = await uploadWith(4 * R, 2 * R + 500)
    await copyFile(`${file}.tail`, `${file}.old`)
    await send(2 * R + 500, 3 * R)
    await rename(`${file}.old`, `${file}.tail`)
    expect((await store.getUpload(id)).offset).toBe(3 * R)
    await send(3 * R)
    expect(sha256(await readWhole())).toBe(sha256(bytes))
  })

  it('treats a torn final record as unfinished, and seals again when it is resent', async () => {
    const { store, id, file, bytes, send } = await uploadWith(2 * R + 100)
    await truncate(file, (await stat(file)).size - 10)
    expect((await store.getUpload(id)).offset).toBe(2 * R)
    await send(2 * R)
    expect(await store.getUpload(id)).toMatchObject({ offset: bytes.length, size: bytes.length })
  })

  it('keeps the bytes that arrived before the client failed', async () => {
    const { store, id, bytes, send, readWhole } = await uploadWith(3 * R, 0)
    const failing = Readable.from(
      (async function* () {
        yield bytes.subarray(0, R + 300)
        throw new Error('connection reset')
      })(),
    )
    await expect(store.write(failing, id, 0)).rejects.toBe(ERRORS.FILE_WRITE_ERROR)
    expect((await store.getUpload(id)).offset).toBe(R + 300)
    await send(R + 300)
    expect(sha256(await readWhole())).toBe(sha256(bytes))
  })
})

describe('EncryptedFileStore keeps tus semantics', () => {
  it('answers with the tus errors @tus/server expects', async () => {
    const { store, id, file, read } = await uploadWith(100, 50)
    const oneByte = () => Readable.from([Buffer.alloc(1)])
    await expect(store.write(oneByte(), id, 49)).rejects.toBe(ERRORS.INVALID_OFFSET)
    await expect(read(40, 50)).rejects.toEqual(typed('out-of-range'))
    await store.write(Readable.from([Buffer.alloc(50)]), id, 50)
    await expect(store.write(oneByte(), id, 100)).rejects.toBe(ERRORS.ERR_SIZE_EXCEEDED)
    await expect(store.getUpload('missing')).rejects.toBe(ERRORS.FILE_NOT_FOUND)
    await expect(store.getUpload('../escape')).rejects.toBe(ERRORS.FILE_NOT_FOUND)
    await store.remove(id)
    await expect(stat(file)).rejects.toThrow()
    await expect(store.getUpload(id)).rejects.toBe(ERRORS.FILE_NOT_FOUND)
    await expect(store.remove(id)).rejects.toBe(ERRORS.FILE_NOT_FOUND)
  })

  it('reports an upload whose bytes are gone as no longer existing', async () => {
    const { store, id, file } = await uploadWith(100, 50)
    await rename(file, `${file}.gone`)
    await expect(store.getUpload(id)).rejects.toBe(ERRORS.FILE_NO_LONGER_EXISTS)
  })

  it('removes expired unfinished uploads and keeps finished ones', async () => {
    const { directory } = await uploadWith(1)
    const store = new EncryptedFileStore({
      directory,
      key: TEST_KEY,
      expirationPeriodInMilliseconds: 1,
    })
    const finished = await createUpload(store, 3)
    await store.write(Readable.from([Buffer.from('abc')]), finished, 0)
    // With a partial record beside it, which must not keep FileKvStore from listing it.
    const unfinished = await createUpload(store, 3)
    await store.write(Readable.from([Buffer.from('a')]), unfinished, 0)
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(await store.deleteExpired()).toBe(1)
    await expect(store.getUpload(unfinished)).rejects.toBe(ERRORS.FILE_NOT_FOUND)
    await expect(stat(path.join(directory, `${unfinished}.tail`))).rejects.toThrow()
    expect((await store.getUpload(finished)).offset).toBe(3)
  })

  it('checks its options', () => {
    const make = (options: { key?: Buffer; recordSize?: number }) => () =>
      new EncryptedFileStore({ directory: '/nonexistent', key: TEST_KEY, ...options })
    expect(make({ key: randomBytes(31) })).toThrow(EncryptionError)
    expect(make({ key: randomBytes(31) })).toThrow(/^ferry-server: the encryption key must be 32/)
    expect(make({ recordSize: 0 })).toThrow(expect.objectContaining({ code: 'invalid-options' }))
  })
})
