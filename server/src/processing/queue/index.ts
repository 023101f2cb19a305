export {
  type BullMqQueueOptions,
  createBullMqQueue,
  defaultBullMqQueueOptions,
} from './BullMqQueue.js'
export { createQueue, type QueueConfig } from './createQueue.js'
export { createEmbeddedQueue } from './EmbeddedQueue.js'
export { isRetryable, QueueError, type QueueErrorCode } from './errors.js'
export {
  defaultQueueOptions,
  JOB_TYPES,
  type JobEvent,
  type JobQueue,
  type JobRunContext,
  type JobRunner,
  type JobType,
  type ProcessingJob,
  type QueueOptions,
} from './types.js'
