import type { Readable } from 'node:stream'

/**
 * Wraps a Node stream as a web ReadableStream that pulls one chunk at a time and destroys the
 * source when the client goes away. Handing a Node stream straight to `new Response()` (as
 * @tus/server's GET does) lets undici enqueue into a stream the client already closed, which
 * throws an uncaught `ERR_INVALID_STATE` and takes the whole process down.
 */
export function toWebStream(source: Readable): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>
  let cancelled = false
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { value, done } = await iterator.next()
          if (cancelled) return
          if (done) controller.close()
          else controller.enqueue(value)
        } catch (error) {
          if (!cancelled) controller.error(error)
        }
      },
      cancel() {
        cancelled = true
        source.destroy()
      },
    },
    { highWaterMark: 0 },
  )
}
