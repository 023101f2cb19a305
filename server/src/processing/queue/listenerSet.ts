import { toError } from './errors.js'
import type { JobEvent } from './types.js'

/** The subscribers of one queue instance. */
export interface ListenerSet {
  add(listener: (event: JobEvent) => void): () => void
  emit(event: JobEvent): void
  readonly size: number
}

/**
 * Keeps subscribers and calls each in turn; one that throws is reported to `onError` and neither
 * stops the others nor reaches the job that caused the event.
 * @example
 * const listeners = createListenerSet({ onError: (error) => logger.error(error) })
 */
export function createListenerSet(options: { onError: (error: Error) => void }): ListenerSet {
  const listeners = new Set<(event: JobEvent) => void>()
  return {
    add(listener) {
      // A wrapper per call, so subscribing the same function twice needs two unsubscribes.
      const entry = (event: JobEvent): void => listener(event)
      listeners.add(entry)
      return () => listeners.delete(entry)
    },
    emit(event) {
      for (const listener of [...listeners]) {
        try {
          listener(event)
        } catch (error) {
          const message = `a job event listener threw on ${event.type} of ${event.job.id}`
          options.onError(new Error(`ferry-server: ${message}`, { cause: toError(error) }))
        }
      }
    },
    get size() {
      return listeners.size
    },
  }
}
