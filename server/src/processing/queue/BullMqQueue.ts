/*
 * Design: one BullMQ queue per job type (`${queueName}-${type}`) with one Worker each, because
 * per-type concurrency is what BullMQ OSS offers per queue: the Worker's `concurrency` bounds this
 * process and the queue's global concurrency bounds all worker processes together. Events go
 * through a stream of their own (see bullMqEvents.ts). Connections are opened on first use, so
 * the HTTP server (add + subscribe) and `ferry-worker` (consume) each open only what they need.
 */
import { Queue, type RedisOptions, type Worker } from 'bullmq'
import { createEventChannel } from './bullMqEvents.js'
import { createTypeWorker } from './bullMqWorker.js'
import { QueueError, toError } from './errors.js'
import { checkJob, resolveQueueOptions } from './resolveOptions.js'
import { settleWithin } from './settleWithin.js'
import {
  JOB_TYPES,
  type JobEvent,
  type JobQueue,
  type JobType,
  type ProcessingJob,
  type QueueOptions,
} from './types.js'

/** Options of the Redis backend: the shared queue options plus where Redis is. */
export interface BullMqQueueOptions extends QueueOptions {
  /** Redis host and port, or a `redis://` URL. */
  connection: { host: string; port: number } | string
  /**
   * Prefix of the BullMQ queue names; producer and worker processes must agree on it.
   * @default 'ferry-processing'
   */
  queueName: string
}

/** The defaults of the options that only the Redis backend has. */
export const defaultBullMqQueueOptions: Pick<BullMqQueueOptions, 'queueName'> = {
  queueName: 'ferry-processing',
}

// Finished jobs kept for inspection. A kept job does not block re-adding its id (see add()).
const KEEP_COMPLETED = { age: 24 * 3600, count: 1000 }
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 5000 }

/**
 * A job queue on Redis with BullMQ: jobs survive restarts, and consumers may run in another
 * process (`ferry-worker`) than the producer and subscribers (the HTTP server).
 * @example
 * const queue = createBullMqQueue({ connection: 'redis://127.0.0.1:6379', attempts: 5 })
 * queue.subscribe((event) => logger.info(event))
 * await queue.add({ id: `${fileId}:gzip`, fileId, type: 'gzip', options: {} })
 */
export function createBullMqQueue(
  options: Partial<BullMqQueueOptions> & Pick<BullMqQueueOptions, 'connection'>,
): JobQueue {
  const { connection: target, queueName = defaultBullMqQueueOptions.queueName, ...rest } = options
  const settings = resolveQueueOptions(rest)
  const { onError } = settings
  const reportError = (error: unknown): void => onError(toError(error))
  const redis: RedisOptions = typeof target === 'string' ? { url: target } : { ...target }
  // Blocking readers must wait out a Redis restart: BullMQ requires `maxRetriesPerRequest: null`.
  const patient: RedisOptions = { ...redis, maxRetriesPerRequest: null }
  const queues = new Map<JobType, Queue<ProcessingJob>>()
  const workers: Worker<ProcessingJob>[] = []
  const channel = createEventChannel({ connection: patient, name: `${queueName}-events`, onError })
  const closing = new AbortController()
  let closed: Promise<void> | undefined

  function getQueue(type: JobType): Queue<ProcessingJob> {
    let queue = queues.get(type)
    if (!queue) {
      // Default `maxRetriesPerRequest`: with Redis down, add() fails after ioredis gives up on
      // reconnecting (20 tries) instead of hanging the HTTP request for good.
      queue = new Queue<ProcessingJob>(`${queueName}-${type}`, { connection: redis })
      queue.on('error', reportError)
      queues.set(type, queue)
    }
    return queue
  }

  async function shutDown(): Promise<void> {
    const stopping = Promise.all(workers.map((worker) => worker.close()))
    await settleWithin([stopping], settings.closeGraceMs)
    closing.abort(new QueueError('closed', 'the job queue closed before the job finished'))
    await stopping.catch(reportError)
    await Promise.all([...queues.values()].map((queue) => queue.close()))
    await channel.close()
  }

  return {
    async add(job) {
      const priority = checkJob(job)
      if (closed) throw new QueueError('closed', `cannot add job ${job.id}: the queue is closed`)
      // A subscriber of this instance hears about the job from its first event on.
      await channel.ready()
      const queue = getQueue(job.type)
      const jobId = toBullMqJobId(job.id)
      // BullMQ ignores any id it still holds, finished ones too; ours dedupes pending ones only.
      const state = await queue.getJobState(jobId)
      if (state === 'completed' || state === 'failed') await queue.remove(jobId)
      await queue.add(job.type, job, {
        jobId,
        priority,
        attempts: settings.attempts,
        backoff: { type: 'exponential', delay: settings.backoffMs },
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      })
    },
    async consume(runner) {
      if (closed) throw new QueueError('closed', 'cannot consume: the queue is closed')
      if (workers.length > 0) {
        throw new QueueError('already-consuming', 'consume() was already called')
      }
      const publish = (event: JobEvent): void => {
        channel.publish(event).catch(reportError)
      }
      for (const type of JOB_TYPES) {
        const concurrency = settings.concurrency[type]
        const queueOptions = { queueName: `${queueName}-${type}`, connection: patient, concurrency }
        const common = { timeoutMs: settings.timeoutMs, runner, closing: closing.signal, onError }
        workers.push(createTypeWorker({ ...queueOptions, ...common, publish }))
      }
      await Promise.all([
        ...JOB_TYPES.map((type) => getQueue(type).setGlobalConcurrency(settings.concurrency[type])),
        ...workers.map((worker) => worker.waitUntilReady()),
      ])
    },
    subscribe: (listener) => channel.subscribe(listener),
    close() {
      closed ??= shutDown()
      return closed
    },
  }
}

/**
 * BullMQ refuses custom ids that contain ':' (unless in three parts) or that read as integers;
 * ours are `${fileId}:${type}`. Percent-encoding plus a prefix is one-to-one, so dedupe holds.
 */
function toBullMqJobId(id: string): string {
  return `job-${encodeURIComponent(id)}`
}
