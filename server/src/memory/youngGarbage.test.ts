import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { setTimeout as delay, setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createGarbagePacer, youngGarbageCollector } from './youngGarbage.js'

const KIB = 1024

function pieces(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, index) => Buffer.alloc(size, index))
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

describe('createGarbagePacer', () => {
  it('passes the bytes on unchanged and collects once per `everyBytes` read, across streams', async () => {
    let collections = 0
    const pacer = createGarbagePacer({ everyBytes: 256 * KIB, collect: () => collections++ })
    const sent = pieces(10, 64 * KIB)
    expect(sha256(await drain(pacer.count(Readable.from(sent))))).toBe(sha256(Buffer.concat(sent)))
    expect(collections).toBe(2)
    // The count goes on where the last stream left it: 128 KiB + 3 × 64 KiB passes 256 KiB.
    await drain(pacer.count(Readable.from(pieces(3, 64 * KIB))))
    expect(collections).toBe(3)
  })

  it("hands the source's error to the reader", async () => {
    const pacer = createGarbagePacer({ everyBytes: KIB, collect: () => {} })
    const source = new Readable({ read() {} })
    const counted = pacer.count(source)
    source.push(Buffer.alloc(10))
    source.destroy(new Error('client went away'))
    await expect(drain(counted)).rejects.toThrow('client went away')
  })

  it('destroys the source when the reader stops early', async () => {
    const pacer = createGarbagePacer({ everyBytes: KIB, collect: () => {} })
    const source = new Readable({ read() {} })
    const counted = pacer.count(source)
    source.push(Buffer.alloc(10))
    for await (const _chunk of counted) break
    await nextTurn()
    expect(source.destroyed).toBe(true)
  })
})

describe('youngGarbageCollector', () => {
  it('makes V8 collect its young generation', async () => {
    const collect = youngGarbageCollector()
    expect(collect).toBeTypeOf('function')
    const scavenged = new Promise<void>((resolve) => {
      const observer = new PerformanceObserver((list) => {
        if (!list.getEntries().some((entry) => ((entry as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MINOR)) return
        observer.disconnect()
        resolve()
      })
      observer.observe({ entryTypes: ['gc'] })
    })
    collect?.()
    await expect(Promise.race([scavenged.then(() => 'scavenged'), delay(2_000, 'nothing')])).resolves.toBe('scavenged')
  })
})
