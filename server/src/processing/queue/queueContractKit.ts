// Helpers of the queue contract suite (queueContract.ts), for tests only.
import { afterEach } from 'vitest'
import {
  defaultQueueOptions,
  type JobEvent,
  type JobQueue,
  type JobType,
  type ProcessingJob,
  type QueueOptions,
} from './types.js'

/** How the contract builds the backend under test. */
export interface QueueContractSubject {
  /** Shown in the suite's title. */
  name: string
  /** A new queue that sees no other test's jobs, with these options. */
  create(options: Partial<QueueOptions>): JobQueue | Promise<JobQueue>
  /** @default 10000 */
  testTimeoutMs?: number
}

/** Queues made for the current describe block; closed after each test. */
export interface QueueFixture {
  create(options?: Partial<QueueOptions>): Promise<JobQueue>
  /** What the current test's queues reported to `onError`. */
  readonly reported: Error[]
}

/** Registers an afterEach that closes every queue `create()` made during the test. */
export function useQueues(subject: QueueContractSubject): QueueFixture {
  const open: JobQueue[] = []
  let reported: Error[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((queue) => queue.close()))
    reported = []
  })
  return {
    async create(options = {}) {
      const queue = await subject.create({ onError: (error) => reported.push(error), ...options })
      open.push(queue)
      return queue
    },
    get reported() {
      return reported
    },
  }
}

/** The default concurrency with one type's limit changed. */
export function concurrencyOf(type: JobType, limit: number): QueueOptions['concurrency'] {
  return { ...defaultQueueOptions.concurrency, [type]: limit }
}

/** A job event with the time it arrived. */
export type TimedEvent = JobEvent & { at: number }

/** Collects a queue's events and waits for them. */
export interface EventLog {
  events: TimedEvent[]
  /** Events of one job id, as `type:attempt` strings, e.g. `['started:1', 'completed:1']`. */
  trail(id: string): string[]
  /** Resolves once `predicate` holds for the log; rejects after `timeoutMs` naming the log. */
  until(predicate: (events: TimedEvent[]) => boolean, timeoutMs?: number): Promise<void>
  /** Resolves once `count` jobs have completed or failed for good. */
  settled(count: number, timeoutMs?: number): Promise<void>
}

/** Subscribes to `queue` and records every event. */
export function recordEvents(queue: JobQueue): EventLog {
  const events: TimedEvent[] = []
  queue.subscribe((event) => events.push({ ...event, at: Date.now() }))
  const log: EventLog = {
    events,
    trail: (id) =>
      events
        .filter((event) => event.job.id === id)
        .map((event) => `${event.type}:${event.attempt}`),
    async until(predicate, timeoutMs = 8000) {
      const deadline = Date.now() + timeoutMs
      while (!predicate(events)) {
        if (Date.now() > deadline) {
          const seen = events.map((event) => `${event.job.id} ${event.type}:${event.attempt}`)
          throw new Error(`timed out waiting for job events; saw:\n${seen.join('\n')}`)
        }
        await sleep(10)
      }
    },
    settled: (count, timeoutMs) =>
      log.until((all) => all.filter(isFinal).length >= count, timeoutMs),
  }
  return log
}

function isFinal(event: JobEvent): boolean {
  return event.type === 'completed' || event.type === 'failed'
}

/** A job of `type` for file `fileId`, with the conventional id. */
export function makeJob(fileId: string, type: JobType = 'gzip', priority?: number): ProcessingJob {
  const job: ProcessingJob = { id: `${fileId}:${type}`, fileId, type, options: { level: 9 } }
  return priority === undefined ? job : { ...job, priority }
}

/** A promise to hold a runner until the test opens it. */
export interface Gate {
  wait: Promise<void>
  open(): void
}

export function createGate(): Gate {
  let open = (): void => undefined
  const wait = new Promise<void>((resolve) => (open = resolve))
  return { wait, open }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves when `signal` aborts, with its reason. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason)
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true })
  })
}
