import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { createHashWorkers } from './hashWorkers.js'

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const workers = createHashWorkers({ threads: 2, highWaterBytes: 256 * 1024 })
afterAll(() => workers.terminate())

describe('createHashWorkers', () => {
  it('hashes like node:crypto, with many hashes interleaved on two threads', async () => {
    const inputs = Array.from({ length: 5 }, (_, index) => randomBytes(300_000 + index * 70_001))
    const hashes = await Promise.all(inputs.map(() => workers.open()))
    for (let offset = 0; offset < 700_000; offset += 65_536) {
      await Promise.all(
        hashes.map((hash, index) => {
          const piece = inputs[index]?.subarray(offset, offset + 65_536) ?? new Uint8Array(0)
          return piece.length > 0 ? hash.update(piece) : undefined
        }),
      )
    }
    const digests = await Promise.all(hashes.map((hash) => hash.digest()))
    expect(digests).toEqual(inputs.map(sha256))
  })

  it('continues from a saved state in a new hash', async () => {
    const bytes = randomBytes(1_000_003)
    const first = await workers.open()
    await first.update(bytes.subarray(0, 400_000))
    const state = await first.save()
    first.close()
    const second = await workers.open(state)
    await second.update(bytes.subarray(400_000))
    expect(await second.digest()).toBe(sha256(bytes))
  })

  it('does not let the caller reuse a chunk before it is hashed', async () => {
    const bytes = randomBytes(512 * 1024)
    const hash = await workers.open()
    const buffer = Buffer.alloc(64 * 1024)
    for (let offset = 0; offset < bytes.length; offset += buffer.length) {
      bytes.copy(buffer, 0, offset, offset + buffer.length)
      await hash.update(buffer)
      buffer.fill(0)
    }
    expect(await hash.digest()).toBe(sha256(bytes))
  })

  it('rejects, rather than answers wrongly, once its thread is gone', async () => {
    const doomed = createHashWorkers({ threads: 1 })
    const hash = await doomed.open()
    await hash.update(randomBytes(1000))
    await doomed.terminate()
    await expect(hash.digest()).rejects.toThrow(/hash worker/)
  })

  it('takes a chunk without waiting only while it fits in the free buffers', async () => {
    const small = createHashWorkers({ threads: 1, highWaterBytes: 1024 * 1024 })
    const bytes = randomBytes(1_000_000)
    const hash = await small.open()
    expect(hash.tryUpdate(bytes.subarray(0, 600_000))).toBe(true)
    // 448 KiB left in the one buffer, which stays here until it is full.
    expect(hash.tryUpdate(randomBytes(600_000))).toBe(false)
    expect(hash.tryUpdate(bytes.subarray(600_000))).toBe(true)
    expect(await hash.digest()).toBe(sha256(bytes))
    await small.terminate()
  })

  it.runIf(process.platform === 'linux')('runs background threads at the lowest CPU priority', async () => {
    // A thread's nice value is the 19th field of /proc/self/task/TID/stat, its scheduling policy
    // the 41st (fields counted from 3 after the name's ")"); SCHED_IDLE is 5, set through chrt.
    const idlePolicy = existsSync('/usr/bin/chrt') ? '5' : '0'
    const niceThreads = () =>
      readdirSync('/proc/self/task').filter((tid) => {
        const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ').pop()?.split(' ') ?? []
        return fields[16] === '19' && fields[38] === idlePolicy
      }).length
    const before = niceThreads()
    const background = createHashWorkers({ threads: 1, priority: 'background' })
    const bytes = randomBytes(1000)
    const hash = await background.open()
    await hash.update(bytes)
    expect(await hash.digest()).toBe(sha256(bytes))
    expect(niceThreads()).toBe(before + 1)
    await background.terminate()
  })

  it('hashes nothing while its pause flag is set, and goes on once it clears', async () => {
    const flag = new SharedArrayBuffer(4)
    const view = new Int32Array(flag)
    Atomics.store(view, 0, 1)
    const paused = createHashWorkers({ threads: 1, pauseWhile: flag })
    const bytes = randomBytes(3000)
    const hash = await paused.open()
    await hash.update(bytes)
    let digest: string | undefined
    void hash.digest().then((value) => {
      digest = value
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(digest).toBeUndefined()
    Atomics.store(view, 0, 0)
    Atomics.notify(view, 0)
    await expect.poll(() => digest).toBe(sha256(bytes))
    await paused.terminate()
  })
})
