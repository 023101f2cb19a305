import { Readable } from 'node:stream'
import type { BufferPool } from './BufferPool.js'

/** A part of a multipart upload that S3 holds. */
export interface StoredPart {
  number: number
  etag: string
  size: number
}

export interface WritePartsOptions {
  pool: BufferPool
  /** Part number of the first part this call uploads. */
  firstPartNumber: number
  /** Parts uploaded at the same time. */
  concurrency: number
  /** S3's minimum for every part but the last; a shorter tail is kept by `keepTail`. */
  minPartSize: number
  /** Bytes from the first part's start to the end of the upload; undefined while unknown. */
  bytesToEnd: number | undefined
  /** Puts the bytes that lead the first part (the tail an earlier request left) into `buffer`. */
  fillHead?: (buffer: Buffer) => Promise<number>
  /** Uploads a whole part from memory (the S3 client can retry it). */
  uploadPart: (number: number, bytes: Buffer) => Promise<string>
  /** Uploads a part of `length` bytes while they arrive; without it every part waits until full. */
  streamPart?: (number: number, body: Readable, length: number, signal: AbortSignal) => Promise<string>
  /**
   * Parts are streamed only up to this many bytes from the first part's start (counting the
   * head): a part the request ends before cannot be completed and its request is abandoned.
   */
  streamUntil?: number
  /** Stores a tail too short to be a part (not the upload's last), for the next request to lead with. */
  keepTail: (bytes: Buffer) => Promise<void>
}

export interface WrittenParts {
  /** The parts uploaded, by number. */
  parts: StoredPart[]
  /** Bytes given to `keepTail`, or 0. */
  tailSize: number
  /** Bytes read from `source`. */
  sourceBytes: number
}

/** A part being filled; `streaming` when its upload started before its bytes were all there. */
interface OpenPart {
  number: number
  buffer: Buffer
  /** Where the part starts, counted from the first part's start. */
  start: number
  filled: number
  streaming?: {
    body: Readable
    length: number
    controller: AbortController
    /** Told whether the part was filled to `length` or the source ended first. */
    settle: (outcome: 'full' | 'short') => void
    upload: Promise<void>
  }
}

/**
 * Cuts `source` into parts in pooled buffers and uploads up to `concurrency` of them while the
 * next is read, with nothing written to disk (@tus/s3-store copies every part into a temp file and
 * reads it back). With `streamPart`, a part whose length is known in advance goes to S3 while it
 * arrives, so a request ends about when its last byte does instead of one part upload later; its
 * bytes stay in the buffer, from which a failed stream is sent once more. Waits for every started
 * upload before it settles and rejects with the first failure; parts uploaded before it stay.
 */
export async function writeParts(
  source: AsyncIterable<Uint8Array>,
  options: WritePartsOptions,
): Promise<WrittenParts> {
  const { pool, concurrency, minPartSize, bytesToEnd } = options
  const parts: StoredPart[] = []
  const inFlight = new Set<Promise<void>>()
  // Failures of uploads that run in the background, first one first.
  const failures: unknown[] = []
  let nextNumber = options.firstPartNumber
  let total = 0
  let tailSize = 0
  let sourceBytes = 0

  async function waitForSlot(): Promise<void> {
    while (inFlight.size >= concurrency) await Promise.race(inFlight)
    if (failures.length > 0) throw failures[0]
  }

  function track(run: () => Promise<void>, release?: () => void): Promise<void> {
    const task: Promise<void> = run()
      .catch((error: unknown) => {
        failures.push(error)
      })
      .finally(() => {
        inFlight.delete(task)
        release?.()
      })
    inFlight.add(task)
    return task
  }

  async function upload(part: OpenPart): Promise<void> {
    try {
      await waitForSlot()
    } catch (error) {
      pool.release(part.buffer)
      throw error
    }
    const bytes = part.buffer.subarray(0, part.filled)
    track(
      async () => {
        parts.push({ number: part.number, etag: await options.uploadPart(part.number, bytes), size: bytes.length })
      },
      () => pool.release(part.buffer),
    )
  }

  /** Starts the part's upload now when its length is known and the request will fill it. */
  async function startStreaming(part: OpenPart): Promise<void> {
    const { streamPart, streamUntil } = options
    if (!streamPart) return
    const length = Math.min(part.buffer.length, (bytesToEnd ?? Number.POSITIVE_INFINITY) - part.start)
    if (length <= 0 || (streamUntil !== undefined && part.start + length > streamUntil)) return
    await waitForSlot()
    const body = new Readable({ read() {} })
    if (part.filled > 0) body.push(part.buffer.subarray(0, part.filled))
    const controller = new AbortController()
    let settle: (outcome: 'full' | 'short') => void = () => {}
    const outcome = new Promise<'full' | 'short'>((resolve) => {
      settle = resolve
    })
    const streamed = streamPart(part.number, body, length, controller.signal)
    const upload = track(
      async () => {
        let etag: string
        try {
          etag = await streamed
        } catch {
          // Abandoned because the request ended early: the reader keeps the bytes.
          if ((await outcome) === 'short') return
          // The bytes are all in the buffer: send them again, now with the client's retries.
          etag = await options.uploadPart(part.number, part.buffer.subarray(0, length))
        }
        parts.push({ number: part.number, etag, size: length })
      },
      // After an abandoned stream the reader owns the buffer.
      () => outcome.then((how) => how === 'full' && pool.release(part.buffer)),
    )
    part.streaming = { body, length, controller, settle, upload }
  }

  async function open(head?: (buffer: Buffer) => Promise<number>): Promise<OpenPart> {
    const buffer = await pool.acquire()
    const part: OpenPart = { number: nextNumber++, buffer, start: total, filled: 0 }
    try {
      part.filled = head ? await head(buffer) : 0
      total += part.filled
      await startStreaming(part)
    } catch (error) {
      pool.release(buffer)
      throw error
    }
    return part
  }

  let part: OpenPart | undefined = options.fillHead ? await open(options.fillHead) : undefined
  try {
    for await (const chunk of source) {
      let read = 0
      while (read < chunk.length) {
        if (failures.length > 0) throw failures[0]
        part ??= await open()
        const limit = part.streaming?.length ?? part.buffer.length
        const length = Math.min(chunk.length - read, limit - part.filled)
        const view = part.buffer.subarray(part.filled, part.filled + length)
        view.set(chunk.subarray(read, read + length))
        part.streaming?.body.push(view)
        part.filled += length
        read += length
        total += length
        sourceBytes += length
        if (part.filled === limit) {
          const full: OpenPart = part
          part = undefined
          if (full.streaming) {
            full.streaming.body.push(null)
            full.streaming.settle('full')
          } else {
            await upload(full)
          }
        }
      }
    }
    if (part?.streaming) {
      // The request ended before the part it was streaming did: abandon that upload.
      part.streaming.controller.abort()
      part.streaming.body.destroy()
      part.streaming.settle('short')
      await part.streaming.upload
      part.streaming = undefined
    }
    if (part && part.filled > 0) {
      if (part.filled >= minPartSize || total === bytesToEnd) {
        const last: OpenPart = part
        part = undefined
        await upload(last)
      } else {
        // Kept only once every part before it is in S3, so what it holds follows them.
        await Promise.all(inFlight)
        if (failures.length > 0) throw failures[0]
        await options.keepTail(part.buffer.subarray(0, part.filled))
        tailSize = part.filled
      }
    }
  } finally {
    if (part?.streaming) {
      part.streaming.controller.abort()
      part.streaming.body.destroy()
      part.streaming.settle('short')
    }
    await Promise.all(inFlight)
    if (part) pool.release(part.buffer)
  }
  if (failures.length > 0) throw failures[0]
  return { parts: parts.sort((a, b) => a.number - b.number), tailSize, sourceBytes }
}
