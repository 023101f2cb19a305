import { QueueError } from './errors.js'
import {
  DEFAULT_PRIORITY,
  defaultQueueOptions,
  JOB_TYPES,
  type ProcessingJob,
  type QueueOptions,
} from './types.js'

/** BullMQ's highest priority number (2^21); the embedded queue keeps the same range. */
const MAX_PRIORITY = 2_097_152

/**
 * Merges `options` over `defaultQueueOptions` and rejects values no backend could honour, naming
 * the option and the value.
 * @example
 * const { attempts } = resolveQueueOptions({ attempts: 5 })
 */
export function resolveQueueOptions(options: Partial<QueueOptions> = {}): QueueOptions {
  const resolved: QueueOptions = {
    ...defaultQueueOptions,
    ...options,
    // A partial record (from JavaScript or a cast) still gets a limit for every type.
    concurrency: { ...defaultQueueOptions.concurrency, ...options.concurrency },
  }
  const rules: Array<[string, number, number]> = [
    ['attempts', resolved.attempts, 1],
    ['backoffMs', resolved.backoffMs, 0],
    ['timeoutMs', resolved.timeoutMs, 1],
    ['closeGraceMs', resolved.closeGraceMs, 0],
    ...JOB_TYPES.map((type): [string, number, number] => [
      `concurrency.${type}`,
      resolved.concurrency[type],
      1,
    ]),
  ]
  for (const [name, value, min] of rules) {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new QueueError(
        'invalid-options',
        `queue option ${name} must be an integer of at least ${min}, got ${String(value)}`,
      )
    }
  }
  return resolved
}

/**
 * Checks a job before it is queued and returns its effective priority.
 * @example
 * const priority = checkJob({ id: 'f1:gzip', fileId: 'f1', type: 'gzip', options: {} })
 */
export function checkJob(job: ProcessingJob): number {
  const problem = findProblem(job)
  if (problem) throw new QueueError('invalid-job', `job ${JSON.stringify(job.id)}: ${problem}`)
  return job.priority ?? DEFAULT_PRIORITY
}

function findProblem(job: ProcessingJob): string | undefined {
  if (typeof job.id !== 'string' || job.id === '') return 'id must be a non-empty string'
  if (!JOB_TYPES.includes(job.type)) return `unknown type ${String(job.type)}`
  const priority = job.priority ?? DEFAULT_PRIORITY
  if (!Number.isInteger(priority) || priority < 1 || priority > MAX_PRIORITY) {
    return `priority must be an integer from 1 to ${MAX_PRIORITY}, got ${String(job.priority)}`
  }
  return undefined
}
