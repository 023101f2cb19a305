import type { ProcessingEvent, ProcessingManifest } from '@ferry/protocol'
import { FerryError } from '../errors.js'

export interface FollowProcessingOptions {
  /** Every event, the first being a `snapshot` of the manifest. */
  onEvent: (event: ProcessingEvent) => void
  signal?: AbortSignal
}

const EVENT_TYPES: ProcessingEvent['type'][] = [
  'snapshot',
  'job-started',
  'job-retrying',
  'job-completed',
  'job-failed',
  'processing-done',
]

/**
 * Follows a file's post-processing over Server-Sent Events until every job has finished, and
 * resolves with the final manifest (whose `state` is `done` or `failed`). EventSource reconnects
 * by itself after a network error; the server sends a fresh snapshot on each connection.
 *
 * @example
 * const manifest = await followProcessing(file.eventsUrl, { onEvent: (event) => render(event.manifest) })
 */
export function followProcessing(eventsUrl: string, { onEvent, signal }: FollowProcessingOptions): Promise<ProcessingManifest> {
  return new Promise((resolve, reject) => {
    if (typeof EventSource === 'undefined') {
      reject(new FerryError('EventSource is not available here to follow processing', { code: 'processing-unavailable' }))
      return
    }
    const source = new EventSource(eventsUrl)
    const finish = (settle: () => void) => {
      source.close()
      signal?.removeEventListener('abort', onAbort)
      settle()
    }
    const onAbort = () => finish(() => reject(new FerryError('following processing was aborted', { code: 'aborted' })))
    signal?.addEventListener('abort', onAbort, { once: true })
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        const event = JSON.parse((message as MessageEvent<string>).data) as ProcessingEvent
        onEvent(event)
        const settled = event.manifest.state !== 'pending' && event.manifest.state !== 'running'
        if (type === 'processing-done' || settled) finish(() => resolve(event.manifest))
      })
    }
    source.onerror = () => {
      // CLOSED means the browser gave up (the server answered with an error); otherwise it retries.
      if (source.readyState === EventSource.CLOSED) {
        finish(() => reject(new FerryError(`could not follow processing at ${eventsUrl}`, { code: 'processing-unavailable' })))
      }
    }
  })
}
