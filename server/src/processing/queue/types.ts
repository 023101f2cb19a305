/** The post-processing work a job stands for; each type has its own concurrency limit. */
export type JobType = 'metadata' | 'compress' | 'thumbnails' | 'watermark' | 'convert' | 'gzip'

/** Every job type, in a stable order. */
export const JOB_TYPES: readonly JobType[] = [
  'metadata',
  'compress',
  'thumbnails',
  'watermark',
  'convert',
  'gzip',
]

/**
 * One unit of work for the queue. Everything in it must survive `JSON.stringify`.
 * @example
 * const job: ProcessingJob = { id: `${fileId}:thumbnails`, fileId, type: 'thumbnails',
 *   options: { widths: [300, 800] }, priority: 5 }
 */
export interface ProcessingJob {
  /**
   * Unique and deterministic, e.g. `${fileId}:thumbnails`; adding the same id twice is a no-op
   * while it is pending (waiting, or waiting to be retried) or running. Once it has completed or
   * failed for good, adding it again runs it again.
   */
  id: string
  fileId: string
  type: JobType
  /** Passed to the step as is; JSON-serialisable. */
  options: Record<string, unknown>
  /**
   * Lower runs first within a type (BullMQ semantics: 1 is highest); an integer from 1 to 2097152.
   * @default 10
   */
  priority?: number
}

/** What a runner learns about the attempt it is running. */
export interface JobRunContext {
  /** 1-based. */
  attempt: number
  /** Aborted when the attempt times out or the queue closes; stop work and settle soon after. */
  signal: AbortSignal
}

/**
 * Does the work of one job; a rejection or a throw counts as a failed attempt.
 * @example
 * const runner: JobRunner = async (job, { signal }) => {
 *   await steps[job.type](await read(job.fileId, { signal }), job.options)
 * }
 */
export type JobRunner = (job: ProcessingJob, context: JobRunContext) => Promise<void>

/**
 * What happened to a job, as every subscriber sees it, whichever process ran the job.
 * @example
 * queue.subscribe((event) => {
 *   if (event.type === 'failed') manifest.markFailed(event.job.id, event.error)
 * })
 */
export type JobEvent =
  | { type: 'started'; job: ProcessingJob; attempt: number }
  | { type: 'completed'; job: ProcessingJob; attempt: number }
  | { type: 'retrying'; job: ProcessingJob; attempt: number; error: string; delayMs: number }
  | { type: 'failed'; job: ProcessingJob; attempt: number; error: string }

/** How jobs are run; the same meaning in every backend. */
export interface QueueOptions {
  /**
   * Jobs of one type run at most this many at once.
   * @default { compress: 5, thumbnails: 3, watermark: 2, convert: 3, metadata: 5, gzip: 3 }
   */
  concurrency: Record<JobType, number>
  /**
   * Runs of a job before it fails for good, the first included.
   * @default 3
   */
  attempts: number
  /**
   * First retry delay; doubles each attempt (exponential): `backoffMs * 2 ** (attempt - 1)`.
   * @default 1000
   */
  backoffMs: number
  /**
   * A job running longer is aborted (signal) and counts as a failed attempt.
   * @default 60000
   */
  timeoutMs: number
  /**
   * How long `close()` waits for running jobs before it aborts their signals and returns.
   * @default 10000
   */
  closeGraceMs: number
  /**
   * Receives errors that have no caller to reject: a subscriber that threw, a Redis connection
   * that dropped. They never take the process down.
   * @default reports them with `process.emitWarning`
   */
  onError: (error: Error) => void
}

/**
 * The job queue of the post-processing pipeline: one interface, in-process or on Redis.
 * @example
 * const queue: JobQueue = createQueue({ kind: 'embedded' })
 * await queue.consume(runner)
 * await queue.add({ id: `${fileId}:gzip`, fileId, type: 'gzip', options: {} })
 * await queue.close()
 */
export interface JobQueue {
  /** Queues a job; resolves once it is stored. A no-op for an id that is pending or running. */
  add(job: ProcessingJob): Promise<void>
  /** Starts running jobs with `runner` in this process. */
  consume(runner: JobRunner): Promise<void>
  /**
   * Job events from any consumer (in-process for embedded; through Redis for BullMQ, so the HTTP
   * server sees events of a separate worker process). Returns an unsubscribe function.
   */
  subscribe(listener: (event: JobEvent) => void): () => void
  /** Stops taking jobs, waits for running ones up to a grace period, releases connections. */
  close(): Promise<void>
}

/**
 * The options every backend starts from.
 * @example
 * createEmbeddedQueue({ concurrency: { ...defaultQueueOptions.concurrency, compress: 2 } })
 */
export const defaultQueueOptions: QueueOptions = {
  concurrency: { compress: 5, thumbnails: 3, watermark: 2, convert: 3, metadata: 5, gzip: 3 },
  attempts: 3,
  backoffMs: 1000,
  timeoutMs: 60_000,
  closeGraceMs: 10_000,
  onError: (error) => process.emitWarning(error),
}

/** Default priority of a job that names none. */
export const DEFAULT_PRIORITY = 10
