// A tus DataStore driven directly, as @tus/server drives it (getUpload, then write, per PATCH), with
// no HTTP in between: what the store itself costs, apart from the server around it.
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Upload } from '@tus/utils'

/** Uploads `size` bytes of `file` through `store` in writes of `chunkSize` bytes. */
export async function uploadThroughStore(store, file, size, chunkSize) {
  const id = randomBytes(16).toString('hex')
  await store.create(new Upload({ id, size, offset: 0, metadata: {} }))
  let offset = 0
  while (offset < size) {
    const upload = await store.getUpload(id)
    if (upload.offset !== offset) throw new Error(`store says offset ${upload.offset}, wrote up to ${offset}`)
    const end = Math.min(offset + chunkSize, size)
    offset = await store.write(createReadStream(file, { start: offset, end: end - 1 }), id, offset)
  }
  return id
}
