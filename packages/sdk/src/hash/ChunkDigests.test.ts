import { describe, expect, it } from 'vitest'
import { ChunkDigests } from './ChunkDigests.js'

const digest = (value: number) => new Uint8Array(32).fill(value)

describe('ChunkDigests', () => {
  it('answers a chunk the hasher reports later, and again when it is sent a second time', async () => {
    const digests = new ChunkDigests({ chunkSize: 10, fileSize: 25, from: 0 })
    const waiting = digests.get(10, 20)
    digests.add({ start: 10, end: 20, digest: digest(1) })
    expect(await waiting).toEqual(digest(1))
    expect(await digests.get(10, 20)).toEqual(digest(1))
  })

  it('answers the short last chunk', async () => {
    const digests = new ChunkDigests({ chunkSize: 10, fileSize: 25, from: 0 })
    digests.add({ start: 20, end: 25, digest: digest(2) })
    expect(await digests.get(20, 25)).toEqual(digest(2))
  })

  it('leaves ranges the hasher does not digest to the caller', () => {
    const digests = new ChunkDigests({ chunkSize: 10, fileSize: 45, from: 15 })
    expect(digests.get(5, 15)).toBeUndefined() // not on a chunk boundary
    expect(digests.get(10, 20)).toBeUndefined() // before the point hashing resumed from
    expect(digests.get(20, 25)).toBeUndefined() // not a whole chunk
    expect(digests.get(40, 50)).toBeUndefined() // past the end of the file
    expect(digests.get(20, 30)).toBeInstanceOf(Promise)
  })

  it('releases every waiter with undefined once hashing stops, and answers undefined after', async () => {
    const digests = new ChunkDigests({ chunkSize: 10, fileSize: 40, from: 0 })
    digests.add({ start: 0, end: 10, digest: digest(3) })
    const waiting = digests.get(30, 40)
    digests.stop()
    expect(await waiting).toBeUndefined()
    expect(digests.get(20, 30)).toBeUndefined()
    expect(await digests.get(0, 10)).toEqual(digest(3))
  })

  it('ignores a report for a range it does not expect', () => {
    const digests = new ChunkDigests({ chunkSize: 10, fileSize: 40, from: 0 })
    digests.add({ start: 0, end: 7, digest: digest(4) })
    const waiting = digests.get(0, 10)
    let settled = false
    void waiting?.then(() => (settled = true))
    return new Promise<void>((resolve) => setTimeout(resolve, 10)).then(() => expect(settled).toBe(false))
  })
})
