import type { ProcessingEvent, ProcessingManifest } from '@ferry/protocol'
import { FerryError } from '../errors.js'
import { readServerSentEvents } from './serverSentEvents.js'

export interface FollowProcessingOptions {
  /** Every event, the first of each connection being a `snapshot` of the manifest. */
  onEvent: (event: ProcessingEvent) => void
  signal?: AbortSignal
  /**
   * Sent with every request: the `Authorization` the upload used (EventSource cannot send
   * headers, which is why this reads the stream with `fetch`).
   */
  headers?: Record<string, string>
  /**
   * Connections in a row that may drop, or fail without an answer, before it gives up.
   * @default 5
   */
  maxReconnects?: number
}

const EVENT_TYPES = new Set<string>([
  'snapshot',
  'job-started',
  'job-retrying',
  'job-completed',
  'job-failed',
  'processing-done',
])

/**
 * Follows a file's post-processing over Server-Sent Events until every job has finished, and
 * resolves with the final manifest (whose `state` is `done` or `failed`). A dropped connection is
 * opened again after a short wait (the server sends a fresh snapshot on each); an answer that is
 * not the stream (401, 404, …) rejects with `processing-unavailable` and its status.
 *
 * @example
 * const manifest = await followProcessing(file.eventsUrl, {
 *   headers: { Authorization: `Bearer ${token}` },
 *   onEvent: (event) => render(event.manifest),
 * })
 */
export async function followProcessing(
  eventsUrl: string,
  { onEvent, signal, headers = {}, maxReconnects = 5 }: FollowProcessingOptions,
): Promise<ProcessingManifest> {
  const aborted = () => new FerryError('following processing was aborted', { code: 'aborted' })
  const unavailable = (detail: string, status?: number) =>
    new FerryError(`could not follow processing at ${eventsUrl}: ${detail}`, {
      code: 'processing-unavailable',
      ...(status === undefined ? {} : { status }),
    })
  if (typeof fetch !== 'function' || typeof ReadableStream === 'undefined') {
    throw unavailable('this environment has no fetch with streamed bodies')
  }
  let dropped = 0
  for (;;) {
    if (signal?.aborted) throw aborted()
    let lastError = 'the connection failed'
    try {
      const response = await fetch(eventsUrl, {
        headers: { Accept: 'text/event-stream', ...headers },
        cache: 'no-store',
        ...(signal ? { signal } : {}),
      })
      // A server error may pass; anything else the server refused will not change by asking again.
      if (!response.ok || !response.body) {
        await response.body?.cancel().catch(() => undefined)
        if (response.status < 500 && response.status !== 429) {
          throw unavailable(`the server answered ${response.status}`, response.status)
        }
        lastError = `the server answered ${response.status}`
      } else {
        for await (const message of readServerSentEvents(response.body)) {
          if (!EVENT_TYPES.has(message.event)) continue
          const event = JSON.parse(message.data) as ProcessingEvent
          dropped = 0
          deliver(onEvent, event)
          const settled = event.manifest.state !== 'pending' && event.manifest.state !== 'running'
          if (event.type === 'processing-done' || settled) return event.manifest
        }
        lastError = 'the stream ended before processing did'
      }
    } catch (error) {
      if (error instanceof FerryError) throw error
      if (signal?.aborted) throw aborted()
      lastError = error instanceof Error ? error.message : String(error)
    }
    if (++dropped > maxReconnects) throw unavailable(`${lastError} (${dropped} times in a row)`)
    await sleep(Math.min(250 * 2 ** (dropped - 1), 4_000), signal)
  }
}

/**
 * A listener that throws must not look like a dropped stream: its error is reported the way an
 * EventSource listener's is (uncaught, on its own), and the events go on.
 */
function deliver(onEvent: (event: ProcessingEvent) => void, event: ProcessingEvent): void {
  try {
    onEvent(event)
  } catch (error) {
    setTimeout(() => {
      throw error
    })
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
