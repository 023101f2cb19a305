import { createHash, randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { createHashWorkers, type RemoteHash } from './hashWorkers.js'
import { openingHash } from './openingHash.js'

const workers = createHashWorkers({ threads: 1 })
afterAll(() => workers.terminate())
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** A hash whose opening the test lets finish. */
function delayedOpen() {
  let release: () => void = () => {}
  const released = new Promise<void>((resolve) => (release = resolve))
  return { opening: released.then(() => workers.open()), release }
}

describe('openingHash', () => {
  it('holds the chunks offered while it opens, and hashes them first, in order', async () => {
    const { opening, release } = delayedOpen()
    const hash = openingHash(opening, { holdBytes: 100_000 })
    const bytes = randomBytes(150_000)
    const reused = Buffer.from(bytes.subarray(0, 40_000))
    expect(hash.tryUpdate(reused)).toBe(true)
    reused.fill(0) // the caller may reuse its buffer at once
    expect(hash.tryUpdate(bytes.subarray(40_000, 80_000))).toBe(true)
    // Past what it holds it takes nothing: the caller falls behind instead.
    expect(hash.tryUpdate(bytes.subarray(80_000, 150_000))).toBe(false)
    release()
    await hash.update(bytes.subarray(80_000))
    expect(await hash.digest()).toBe(sha256(bytes))
  })

  it('closes a hash that opens after it was closed, and takes nothing once closed', async () => {
    const { opening, release } = delayedOpen()
    const hash = openingHash(opening)
    hash.close()
    expect(hash.tryUpdate(new Uint8Array(10))).toBe(false)
    release()
    const opened: RemoteHash = await opening
    // A closed worker hash rejects what it is asked afterwards.
    await expect(opened.digest()).rejects.toThrow()
  })

  it('passes an opening failure on to the calls that wait for the hash', async () => {
    const hash = openingHash(Promise.reject(new Error('no thread')))
    expect(hash.tryUpdate(new Uint8Array(10))).toBe(true)
    await expect(hash.save()).rejects.toThrow('no thread')
    await expect(hash.update(new Uint8Array(1))).rejects.toThrow('no thread')
  })
})
