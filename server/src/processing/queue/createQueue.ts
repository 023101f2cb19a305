import { createBullMqQueue } from './BullMqQueue.js'
import { createEmbeddedQueue } from './EmbeddedQueue.js'
import type { JobQueue, QueueOptions } from './types.js'

/** Which backend runs the jobs. */
export type QueueConfig =
  | { kind: 'embedded' }
  | {
      kind: 'bullmq'
      /** e.g. `redis://127.0.0.1:6379`. */
      redisUrl: string
      /** @default 'ferry-processing' */
      queueName?: string
    }

/**
 * Builds the job queue a validated configuration names: in-process, or BullMQ on Redis.
 * @example
 * const queue = createQueue({ kind: 'bullmq', redisUrl: process.env.FERRY_REDIS_URL }, {
 *   attempts: 5,
 *   onError: (error) => logger.warn({ err: error }, 'job queue error'),
 * })
 */
export function createQueue(config: QueueConfig, options: Partial<QueueOptions> = {}): JobQueue {
  if (config.kind === 'bullmq') {
    const { redisUrl, queueName } = config
    const naming = queueName ? { queueName } : {}
    return createBullMqQueue({ ...options, ...naming, connection: redisUrl })
  }
  return createEmbeddedQueue(options)
}
