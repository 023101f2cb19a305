/** One dispatched Server-Sent Event: its `event` field (`message` without one) and its data. */
export interface ServerSentEvent {
  event: string
  data: string
}

/**
 * The events of a `text/event-stream` body, by the HTML spec's parsing rules: lines end with LF,
 * CR or CRLF (even split across chunks), `data` lines join with LF, comments (`:`) and `id`/`retry`
 * are skipped, and an event is dispatched at a blank line when it has data. The body is cancelled
 * once the caller stops reading.
 *
 * @example
 * for await (const { event, data } of readServerSentEvents(response.body)) console.log(event, data)
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffered = ''
  let event = ''
  let data: string[] = []
  // A CR at the end of a chunk may be the first half of a CRLF.
  let skipLeadingLf = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true })
      if (skipLeadingLf && buffered.startsWith('\n')) buffered = buffered.slice(1)
      skipLeadingLf = false
      for (;;) {
        const end = buffered.search(/[\r\n]/)
        if (end === -1) break
        const line = buffered.slice(0, end)
        const crlf = buffered[end] === '\r' && buffered[end + 1] === '\n'
        if (buffered[end] === '\r' && end === buffered.length - 1) skipLeadingLf = true
        buffered = buffered.slice(end + (crlf ? 2 : 1))
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n') }
          event = ''
          data = []
          continue
        }
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        const fieldValue = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') event = fieldValue
        else if (field === 'data') data.push(fieldValue)
      }
      // An event not closed by a blank line when the stream ends is dropped, as the spec says.
      if (done) return
    }
  } finally {
    // Also when the caller stops early (it found what it waited for, or a listener failed): the
    // connection is closed rather than left open on the server's heartbeats.
    await reader.cancel().catch(() => undefined)
    reader.releaseLock()
  }
}
