import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { FileStore } from '@tus/file-store'
import { afterEach, expect, it } from 'vitest'
import { createUpload, readAll, sha256, temporaryStore } from './encryptionTestKit.js'

const SIZE = 64 * 1024 * 1024
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** 64 MiB as an HTTP body would bring it: 64 KiB chunks. */
function body(bytes: Buffer) {
  return Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += 65_536) yield bytes.subarray(at, at + 65_536)
    })(),
  )
}

const rate = (started: number) => {
  const seconds = (performance.now() - started) / 1000
  return `${(SIZE / 1e6 / seconds).toFixed(0)} MB/s`
}

// A sanity check of throughput, printed for the record and not asserted: CI machines vary.
it('writes and reads 64 MiB at a printed rate, next to the plain FileStore', async () => {
  const { store, directory, remove } = await temporaryStore()
  cleanups.push(remove)
  const bytes = randomBytes(SIZE)
  const id = await createUpload(store, SIZE)
  let started = performance.now()
  expect(await store.write(body(bytes), id, 0)).toBe(SIZE)
  const write = rate(started)
  started = performance.now()
  const back = await readAll(await store.readRange(id))
  const read = rate(started)
  expect(sha256(back)).toBe(sha256(bytes))

  const plain = new FileStore({ directory: `${directory}/plain` })
  const plainId = await createUpload(plain as never, SIZE)
  started = performance.now()
  await plain.write(body(bytes), plainId, 0)
  const plainWrite = rate(started)
  started = performance.now()
  await readAll(plain.read(plainId))
  const plainRead = rate(started)
  console.log(`64 MiB encrypted: write ${write}, read ${read}`)
  console.log(`64 MiB plain FileStore: write ${plainWrite}, read ${plainRead}`)
}, 120_000)
