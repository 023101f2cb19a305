/*
 * Job events travel through a Redis stream of their own, written by the process that ran the job
 * (QueueEventsProducer) and read by every subscriber (QueueEvents). Why not BullMQ's built-in
 * events (active/completed/failed): they carry only a job id, so each one would need a Job.fromId
 * round trip that races with removeOnComplete, and a failed attempt that will be retried shows
 * up as `delayed`, not `failed`, without the attempt number. The worker knows all of it when it
 * happens. Why a stream and not pub/sub: a subscriber that reconnects resumes from the last entry
 * it read instead of losing what was said while it was away, and one connection serves all types.
 */
import {
  QueueEvents,
  QueueEventsProducer,
  type QueueEventsListener,
  type RedisOptions,
} from 'bullmq'
import { toError } from './errors.js'
import { createListenerSet } from './listenerSet.js'
import type { JobEvent } from './types.js'

const EVENT_NAME = 'ferry-job'
const MARKER_NAME = 'ferry-subscribed'
const EVENT_TYPES = new Set(['started', 'completed', 'retrying', 'failed'])

interface FerryEventsListener extends QueueEventsListener {
  [EVENT_NAME]: (args: { payload?: string }, id: string) => void
}

/** Where the stream lives and who hears about trouble with it. */
export interface EventChannelOptions {
  connection: RedisOptions
  /** A BullMQ queue name; the stream is that queue's events stream. */
  name: string
  onError: (error: Error) => void
  /**
   * Entries the stream keeps (approximately) for subscribers that were briefly away.
   * @default 10000
   */
  maxEvents?: number
}

/** Publishes job events to Redis and delivers them to this process's subscribers. */
export interface EventChannel {
  /** Resolves when the event is in the stream. */
  publish(event: JobEvent): Promise<void>
  subscribe(listener: (event: JobEvent) => void): () => void
  /** Resolves once every event published from now on reaches the subscribers. */
  ready(): Promise<void>
  close(): Promise<void>
}

/**
 * Opens a job event channel; connections are made on first use.
 * @example
 * const channel = createEventChannel({ connection, name: 'ferry-processing-events', onError })
 * channel.subscribe((event) => console.log(event.type, event.job.id))
 */
export function createEventChannel(options: EventChannelOptions): EventChannel {
  const { connection, name, onError, maxEvents = 10_000 } = options
  const listeners = createListenerSet({ onError })
  let producer: QueueEventsProducer | undefined
  let reader: Promise<QueueEvents> | undefined

  const getProducer = (): QueueEventsProducer => {
    producer ??= new QueueEventsProducer(name, { connection }).on('error', onError)
    return producer
  }

  async function startReading(): Promise<QueueEvents> {
    // A new QueueEvents reads from '$', i.e. from its first XREAD on, so events published between
    // subscribe() and that read would be lost. The id of a marker entry is a start with no gap.
    const lastEventId = await getProducer().backend.publishEvent({ event: MARKER_NAME }, maxEvents)
    const queueEvents = new QueueEvents(name, { connection, lastEventId })
    queueEvents.on('error', onError)
    queueEvents.on<FerryEventsListener, typeof EVENT_NAME>(EVENT_NAME, ({ payload }) => {
      const event = parseEvent(payload)
      if (event) listeners.emit(event)
      else onError(new Error(`ferry-server: ignored a malformed job event in ${name}: ${payload}`))
    })
    return queueEvents
  }

  return {
    async publish(event) {
      const payload = JSON.stringify(event)
      await getProducer().publishEvent({ eventName: EVENT_NAME, payload }, maxEvents)
    },
    subscribe(listener) {
      if (!reader) {
        reader = startReading()
        reader.catch((error: unknown) => onError(toError(error)))
      }
      return listeners.add(listener)
    },
    async ready() {
      await reader?.catch(() => undefined)
    },
    async close() {
      const queueEvents = await reader?.catch(() => undefined)
      await Promise.all([queueEvents?.close(), producer?.close()])
    },
  }
}

function parseEvent(payload: string | undefined): JobEvent | undefined {
  try {
    const value: unknown = JSON.parse(payload ?? '')
    if (typeof value !== 'object' || value === null) return undefined
    const { type, job, attempt } = value as Record<string, unknown>
    const valid =
      EVENT_TYPES.has(String(type)) &&
      typeof job === 'object' &&
      job !== null &&
      typeof (job as Record<string, unknown>).id === 'string' &&
      typeof attempt === 'number'
    return valid ? (value as JobEvent) : undefined
  } catch {
    return undefined
  }
}
