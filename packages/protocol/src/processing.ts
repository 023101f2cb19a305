/** The kinds of post-processing job; each one is a step applied to the original file. */
export type ProcessingJobType = 'metadata' | 'compress' | 'thumbnails' | 'watermark' | 'convert' | 'gzip'

export type ProcessingJobState = 'pending' | 'running' | 'done' | 'failed'

/**
 * Where a file's processing stands: `none` when its policy names no job, `pending` until a job
 * starts, `running` while any job is unfinished, then `done`, or `failed` when any job failed.
 */
export type ProcessingState = 'none' | 'pending' | 'running' | 'done' | 'failed'

/** A file derived from an upload, stored next to it. */
export interface ProcessingOutput {
  /** Name within the file, such as `thumb_300.jpg`; the output's URL ends with it. */
  name: string
  job: ProcessingJobType
  key: string
  /** Where the output is served to the file's owner (with credentials). */
  url: string
  /** A signed URL of the output that needs no credentials, when the server signs download URLs. */
  downloadUrl?: string
  /** When `downloadUrl` stops working (ISO 8601). */
  downloadUrlExpiresAt?: string
  size: number
  type: string
  encoding?: string
  width?: number
  height?: number
  createdAt: string
  info?: Record<string, unknown>
}

export interface ProcessingJobStatus {
  type: ProcessingJobType
  state: ProcessingJobState
  attempts: number
  error?: string
  startedAt?: string
  finishedAt?: string
  /** What the job found or decided, such as image metadata or a compression ratio. */
  result?: Record<string, unknown>
}

/** Everything known about a file's processing; kept in the store beside the file. */
export interface ProcessingManifest {
  fileId: string
  state: ProcessingState
  createdAt: string
  jobs: ProcessingJobStatus[]
  outputs: ProcessingOutput[]
}

/** One Server-Sent Event from `GET /api/files/:id/events`; `event:` carries `type`. */
export interface ProcessingEvent {
  type: 'snapshot' | 'job-started' | 'job-retrying' | 'job-completed' | 'job-failed' | 'processing-done'
  fileId: string
  job?: ProcessingJobType
  error?: string
  manifest: ProcessingManifest
}
