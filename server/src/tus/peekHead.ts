import { withBody } from '../http/withBody.js'

/**
 * Reads up to `bytes` from the start of a request body and returns them with a request that
 * still carries the whole body (the bytes read, then the rest, streamed): the first bytes can be
 * checked before anything is stored, without holding more than `bytes` in memory.
 */
export async function peekHead(request: Request, bytes: number): Promise<{ head: Uint8Array; request: Request }> {
  if (!request.body) return { head: new Uint8Array(0), request }
  const reader = request.body.getReader()
  const pieces: Uint8Array[] = []
  let length = 0
  let done = false
  while (length < bytes) {
    const next = await reader.read()
    if (next.done) {
      done = true
      break
    }
    pieces.push(next.value)
    length += next.value.length
  }
  const buffered = Buffer.concat(pieces)
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (buffered.length > 0) controller.enqueue(buffered)
      if (done) controller.close()
    },
    async pull(controller) {
      const next = await reader.read()
      if (next.done) controller.close()
      else controller.enqueue(next.value)
    },
    cancel: (reason) => reader.cancel(reason),
  })
  return { head: buffered.subarray(0, bytes), request: withBody(request, body) }
}
