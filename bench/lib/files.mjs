// Source files for the browser bench and the check that what a server stored is what was sent.
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'

const MIB = 1024 * 1024

/**
 * Writes `size` bytes of AES-CTR keystream (incompressible, and faster than randomBytes) and
 * returns `{ file, size, sha256 }` with the SHA-256 in hex.
 */
export async function writeRandomFile(file, size) {
  const cipher = createCipheriv('aes-256-ctr', randomBytes(32), randomBytes(16))
  const zeros = Buffer.alloc(MIB)
  const hash = createHash('sha256')
  const out = createWriteStream(file)
  for (let written = 0; written < size; written += MIB) {
    const block = cipher.update(zeros.subarray(0, Math.min(MIB, size - written)))
    hash.update(block)
    if (!out.write(block)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return { file, size, sha256: hash.digest('hex') }
}

export async function sha256OfFile(file) {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}

/** Throws unless `file` holds exactly the bytes of `source` (from `writeRandomFile`). */
export async function expectSameBytes(file, source, what) {
  const { size } = await stat(file)
  const digest = size === source.size ? await sha256OfFile(file) : '(not hashed)'
  if (digest !== source.sha256) {
    throw new Error(`${what}: stored ${size} bytes with SHA-256 ${digest}, sent ${source.size} with ${source.sha256}`)
  }
}
