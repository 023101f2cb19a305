import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { BufferPool } from './BufferPool.js'
import { type WritePartsOptions, writeParts } from './writeParts.js'

const PART = 64 * 1024
const MIN = 40 * 1024

/** A bucket in memory: what each part number and the tail hold, and how uploads overlapped. */
function recordingTarget() {
  const parts = new Map<number, Buffer>()
  let running = 0
  let mostAtOnce = 0
  const target = {
    parts,
    tail: undefined as Buffer | undefined,
    streamedRequests: 0,
    abandonedStreams: 0,
    get mostAtOnce() {
      return mostAtOnce
    },
    async uploadPart(number: number, bytes: Buffer) {
      running++
      mostAtOnce = Math.max(mostAtOnce, running)
      await new Promise((resolve) => setTimeout(resolve, 2))
      parts.set(number, Buffer.from(bytes))
      running--
      return `"etag-${number}"`
    },
    async streamPart(number: number, body: Readable, length: number, signal: AbortSignal) {
      target.streamedRequests++
      running++
      mostAtOnce = Math.max(mostAtOnce, running)
      try {
        const received: Buffer[] = []
        let size = 0
        // Like an S3 server: the part exists only once `length` bytes arrived.
        try {
          for await (const chunk of body.iterator({ destroyOnReturn: false })) {
            if (signal.aborted) break
            received.push(chunk as Buffer)
            size += (chunk as Buffer).length
            if (size >= length) break
          }
        } catch {
          // the body was destroyed: the request was abandoned
        }
        if (size !== length) {
          target.abandonedStreams++
          throw new Error('request aborted')
        }
        parts.set(number, Buffer.concat(received))
        return `"etag-${number}"`
      } finally {
        running--
      }
    },
    async keepTail(bytes: Buffer) {
      target.tail = Buffer.from(bytes)
    },
  }
  return target
}

function chunked(bytes: Buffer, chunkSize: number): Readable {
  const chunks: Buffer[] = []
  for (let start = 0; start < bytes.length; start += chunkSize) chunks.push(bytes.subarray(start, start + chunkSize))
  return Readable.from(chunks)
}

function options(target: ReturnType<typeof recordingTarget>, overrides: Partial<WritePartsOptions> = {}): WritePartsOptions {
  return {
    pool: new BufferPool({ bufferSize: PART, maxBuffers: 8 }),
    firstPartNumber: 1,
    concurrency: 3,
    minPartSize: MIN,
    bytesToEnd: undefined,
    uploadPart: target.uploadPart,
    keepTail: target.keepTail,
    ...overrides,
  }
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
const stored = (target: ReturnType<typeof recordingTarget>) =>
  Buffer.concat([...[...target.parts.entries()].sort(([a], [b]) => a - b).map(([, bytes]) => bytes), target.tail ?? Buffer.alloc(0)])

describe('writeParts', () => {
  for (const streamed of [false, true]) {
    for (const chunkSize of [1, 1000, PART - 1, PART, PART + 1, 3 * PART + 7]) {
      it(`cuts ${streamed ? 'streamed' : 'buffered'} parts exactly from ${chunkSize}-byte chunks`, async () => {
        const bytes = randomBytes(3 * PART + 1234)
        const target = recordingTarget()
        const written = await writeParts(
          chunked(bytes, chunkSize),
          options(target, { bytesToEnd: bytes.length, ...(streamed ? { streamPart: target.streamPart } : {}) }),
        )
        expect(written.parts.map((part) => [part.number, part.size])).toEqual([
          [1, PART],
          [2, PART],
          [3, PART],
          [4, 1234],
        ])
        expect(written.tailSize).toBe(0)
        expect(written.sourceBytes).toBe(bytes.length)
        expect(sha256(stored(target))).toBe(sha256(bytes))
        if (streamed) expect(target.abandonedStreams).toBe(0)
      })
    }
  }

  it('keeps a short tail that is not the end of the upload, and uploads a long one as a part', async () => {
    const target = recordingTarget()
    const short = randomBytes(PART + MIN - 1)
    const written = await writeParts(chunked(short, 5000), options(target, { bytesToEnd: 10 * PART }))
    expect(written.parts.map((part) => part.size)).toEqual([PART])
    expect(written.tailSize).toBe(MIN - 1)
    expect(sha256(stored(target))).toBe(sha256(short))

    const other = recordingTarget()
    const long = randomBytes(PART + MIN)
    const more = await writeParts(chunked(long, 5000), options(other, { bytesToEnd: 10 * PART }))
    expect(more.parts.map((part) => part.size)).toEqual([PART, MIN])
    expect(more.tailSize).toBe(0)
  })

  it('leads with the head an earlier request left and numbers from firstPartNumber', async () => {
    const head = randomBytes(1000)
    const rest = randomBytes(PART + 500)
    const target = recordingTarget()
    const written = await writeParts(
      chunked(rest, 777),
      options(target, {
        firstPartNumber: 5,
        bytesToEnd: head.length + rest.length,
        fillHead: async (buffer) => {
          head.copy(buffer)
          return head.length
        },
        streamPart: target.streamPart,
      }),
    )
    expect(written.parts.map((part) => [part.number, part.size])).toEqual([
      [5, PART],
      [6, 1500],
    ])
    expect(written.sourceBytes).toBe(rest.length)
    expect(sha256(stored(target))).toBe(sha256(Buffer.concat([head, rest])))
  })

  it('abandons a streamed part the request ends before, and keeps its bytes', async () => {
    const bytes = randomBytes(PART + 2000)
    const target = recordingTarget()
    // The upload is longer than this request, so the second part was expected to be whole.
    const written = await writeParts(chunked(bytes, 3000), options(target, { bytesToEnd: 4 * PART, streamPart: target.streamPart }))
    expect(target.abandonedStreams).toBe(1)
    expect(written.parts.map((part) => part.size)).toEqual([PART])
    expect(written.tailSize).toBe(2000)
    expect(sha256(stored(target))).toBe(sha256(bytes))
  })

  it('does not stream past streamUntil', async () => {
    const bytes = randomBytes(2 * PART)
    const target = recordingTarget()
    await writeParts(chunked(bytes, 3000), options(target, { streamPart: target.streamPart, streamUntil: PART }))
    expect(target.streamedRequests).toBe(1)
    expect(target.abandonedStreams).toBe(0)
    expect(sha256(stored(target))).toBe(sha256(bytes))
  })

  it('sends a part whose stream failed once more from its buffer', async () => {
    const bytes = randomBytes(2 * PART)
    const target = recordingTarget()
    const written = await writeParts(
      chunked(bytes, 3000),
      options(target, {
        bytesToEnd: bytes.length,
        streamPart: async () => {
          throw new Error('connection reset')
        },
      }),
    )
    expect(written.parts.map((part) => part.size)).toEqual([PART, PART])
    expect(sha256(stored(target))).toBe(sha256(bytes))
  })

  it('uploads at most `concurrency` parts at once and never more buffers than the pool has', async () => {
    const bytes = randomBytes(12 * PART)
    const target = recordingTarget()
    const pool = new BufferPool({ bufferSize: PART, maxBuffers: 3 })
    await writeParts(chunked(bytes, 10_000), options(target, { pool, concurrency: 2, bytesToEnd: bytes.length }))
    expect(target.mostAtOnce).toBe(2)
    expect(sha256(stored(target))).toBe(sha256(bytes))
  })

  it('rejects with the first failure once every started upload settled, and frees the buffers', async () => {
    const bytes = randomBytes(6 * PART)
    const target = recordingTarget()
    const pool = new BufferPool({ bufferSize: PART, maxBuffers: 4 })
    let settled = 0
    const failing = writeParts(
      chunked(bytes, 10_000),
      options(target, {
        pool,
        uploadPart: async (number, part) => {
          await target.uploadPart(number, part)
          settled++
          if (number === 2) throw new Error('part 2 failed')
          return 'etag'
        },
      }),
    )
    await expect(failing).rejects.toThrow('part 2 failed')
    const startedBeforeFailure = settled
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(settled).toBe(startedBeforeFailure)
    const buffers = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()])
    expect(buffers).toHaveLength(4)
  })

  it('keeps no tail and uploads nothing for an empty request', async () => {
    const target = recordingTarget()
    const written = await writeParts(Readable.from([]), options(target, { bytesToEnd: 100 }))
    expect(written).toEqual({ parts: [], tailSize: 0, sourceBytes: 0 })
    expect(target.parts.size).toBe(0)
    expect(target.tail).toBeUndefined()
  })
})
