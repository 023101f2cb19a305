import { describe, expect, it } from 'vitest'
import { readServerSentEvents, type ServerSentEvent } from './serverSentEvents.js'

/** A body that delivers `text` in the given pieces, as a network would. */
function bodyOf(...pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece))
      controller.close()
    },
  })
}

async function collect(body: ReadableStream<Uint8Array>): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = []
  for await (const event of readServerSentEvents(body)) events.push(event)
  return events
}

describe('readServerSentEvents', () => {
  it('reads named events and skips comments, ids and retries', async () => {
    const events = await collect(bodyOf('event: snapshot\ndata: {"a":1}\n\n: heartbeat\n\nid: 7\nretry: 10\nevent: job-started\ndata: {"b":2}\n\n'))
    expect(events).toEqual([
      { event: 'snapshot', data: '{"a":1}' },
      { event: 'job-started', data: '{"b":2}' },
    ])
  })

  it('joins data lines, and names an unnamed event message', async () => {
    expect(await collect(bodyOf('data: one\ndata:two\n\n'))).toEqual([{ event: 'message', data: 'one\ntwo' }])
  })

  it('reads lines split anywhere across chunks, with CRLF, CR or LF endings', async () => {
    const text = 'event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\revent: c\ndata: é\n\n'
    const bytes = new TextEncoder().encode(text)
    // Every split point, including inside the two-byte é and between a CR and its LF.
    for (let split = 1; split < bytes.length; split++) {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, split))
          controller.enqueue(bytes.slice(split))
          controller.close()
        },
      })
      expect(await collect(body), `split at ${split}`).toEqual([
        { event: 'a', data: '1' },
        { event: 'b', data: '2' },
        { event: 'c', data: 'é' },
      ])
    }
  })

  it('cancels the body when the caller stops reading early', async () => {
    let cancelled = false
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('event: a\ndata: 1\n\n'))
        // Left open, as a server's event stream is.
      },
      cancel() {
        cancelled = true
      },
    })
    for await (const event of readServerSentEvents(body)) {
      expect(event).toEqual({ event: 'a', data: '1' })
      break
    }
    expect(cancelled).toBe(true)
  })

  it('drops an event the stream ends before closing', async () => {
    expect(await collect(bodyOf('event: a\ndata: 1\n\nevent: b\ndata: 2\n'))).toEqual([{ event: 'a', data: '1' }])
  })
})
