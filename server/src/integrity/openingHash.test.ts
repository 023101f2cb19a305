import { createHash, randomBytes } from 'node:crypto'
import { createSHA256 } from 'hash-wasm'
import { afterAll, describe, expect, it } from 'vitest'
import { createHashWorkers, type RemoteHash } from './hashWorkers.js'
import { openingHash } from './openingHash.js'

const workers = createHashWorkers({ threads: 1 })
afterAll(() => workers.terminate())
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const digestOfState = async (state: Uint8Array) => (await createSHA256()).load(state).digest('hex')
const settled = () => new Promise((resolve) => setTimeout(resolve, 20))

/** A hash whose opening the test lets finish. */
function delayedOpen() {
  let release: () => void = () => {}
  const released = new Promise<void>((resolve) => (release = resolve))
  return { opening: released.then(() => workers.open()), release }
}

describe('openingHash', () => {
  it('holds the chunks offered while it opens, and hashes them first, in order', async () => {
    const { opening, release } = delayedOpen()
    const budget = { bytes: 100_000 }
    const hash = openingHash(opening, budget)
    const bytes = randomBytes(150_000)
    const reused = Buffer.from(bytes.subarray(0, 40_000))
    expect(hash.tryUpdate(reused)).toBe(true)
    reused.fill(0) // the caller may reuse its buffer at once
    expect(hash.tryUpdate(bytes.subarray(40_000, 80_000))).toBe(true)
    // Past what it holds it takes nothing: the caller falls behind instead.
    expect(hash.tryUpdate(bytes.subarray(80_000, 150_000))).toBe(false)
    expect(budget.bytes).toBe(20_000)
    release()
    await hash.update(bytes.subarray(80_000))
    expect(await hash.digest()).toBe(sha256(bytes))
    // Handed over, the held bytes are free for other hashes again.
    expect(budget.bytes).toBe(100_000)
  })

  it('saves exactly the chunks taken before the save, not those taken after it while opening', async () => {
    const { opening, release } = delayedOpen()
    const hash = openingHash(opening, { bytes: 100_000 })
    const [a, b] = [randomBytes(1_000), randomBytes(1_000)]
    expect(hash.tryUpdate(a)).toBe(true)
    const saving = hash.save()
    expect(hash.tryUpdate(b)).toBe(true)
    release()
    expect(await digestOfState(await saving)).toBe(sha256(a))
    expect(await hash.digest()).toBe(sha256(Buffer.concat([a, b])))
  })

  it('shares one budget between hashes, and gives back what a closed one held', async () => {
    const budget = { bytes: 50_000 }
    const first = openingHash(delayedOpen().opening, budget)
    const second = openingHash(delayedOpen().opening, budget)
    expect(first.tryUpdate(new Uint8Array(40_000))).toBe(true)
    expect(second.tryUpdate(new Uint8Array(20_000))).toBe(false)
    const waiting = first.save()
    first.close()
    await expect(waiting).rejects.toThrow('closed')
    expect(budget.bytes).toBe(50_000)
    expect(second.tryUpdate(new Uint8Array(20_000))).toBe(true)
    second.close()
  })

  it('closes a hash that opens after it was closed, and takes nothing once closed', async () => {
    const { opening, release } = delayedOpen()
    const budget = { bytes: 1_000 }
    const hash = openingHash(opening, budget)
    expect(hash.tryUpdate(new Uint8Array(10))).toBe(true)
    hash.close()
    expect(budget.bytes).toBe(1_000)
    expect(hash.tryUpdate(new Uint8Array(10))).toBe(false)
    release()
    const opened: RemoteHash = await opening
    await settled()
    // A closed worker hash rejects what it is asked afterwards.
    await expect(opened.digest()).rejects.toThrow()
  })

  it('when opening fails: what waits fails with its error, the held bytes go back, nothing more is taken', async () => {
    const budget = { bytes: 1_000 }
    const hash = openingHash(Promise.reject(new Error('no thread')), budget)
    expect(hash.tryUpdate(new Uint8Array(10))).toBe(true)
    await expect(hash.save()).rejects.toThrow('no thread')
    expect(budget.bytes).toBe(1_000)
    expect(hash.tryUpdate(new Uint8Array(10))).toBe(false)
    await expect(hash.update(new Uint8Array(1))).rejects.toThrow('no thread')
  })

  it('when the hash fails a held chunk: it is closed, what waits fails, the held bytes go back', async () => {
    // A fake for a worker that errors on an update, which a healthy thread never does.
    let closes = 0
    const failing: RemoteHash = {
      update: async () => {
        throw new Error('worker failed')
      },
      tryUpdate: () => true,
      save: async () => new Uint8Array(),
      digest: async () => '',
      rest: () => {},
      close: () => void closes++,
    }
    const budget = { bytes: 1_000 }
    const hash = openingHash(Promise.resolve(failing), budget)
    expect(hash.tryUpdate(new Uint8Array(100))).toBe(true)
    expect(hash.tryUpdate(new Uint8Array(100))).toBe(true)
    await expect(hash.save()).rejects.toThrow('worker failed')
    expect(closes).toBe(1)
    expect(budget.bytes).toBe(1_000)
    expect(hash.tryUpdate(new Uint8Array(10))).toBe(false)
    hash.close()
    expect(closes).toBe(1)
  })
})
