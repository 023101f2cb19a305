import type { ProcessingManifest, ProcessingState } from '@ferry/protocol'
import type { Logger } from 'pino'
import type { FileRecord, StorageBackend } from '../storage/types.js'
import { ManifestStore } from './manifest/ManifestStore.js'
import { JOB_PRIORITY, planJobs, type ProcessingPolicy } from './ProcessingPolicy.js'
import type { JobEvent, JobQueue } from './queue/types.js'

export interface ProcessingOptions {
  backend: StorageBackend
  queue: JobQueue
  policy: ProcessingPolicy
  logger: Logger
}

/** The server's side of post-processing: plans and queues jobs, reads manifests, follows events. */
export interface Processing {
  readonly manifests: ManifestStore
  /** Plans and queues the jobs of a verified upload; idempotent per file. */
  trigger(record: FileRecord): Promise<ProcessingState>
  /** Queues again every job a crash or restart left unfinished; returns how many. */
  recover(): Promise<number>
  read(fileId: string, outputUrl: (name: string) => string): Promise<ProcessingManifest | undefined>
  /** Job events of one file (or of all, without `fileId`), from whichever process runs them. */
  subscribe(fileId: string | undefined, listener: (event: JobEvent) => void): () => void
  /** Removes a file's outputs and manifest. */
  remove(fileId: string): Promise<void>
}

export function createProcessing({ backend, queue, policy, logger }: ProcessingOptions): Processing {
  const manifests = new ManifestStore(backend.documents)

  const enqueue = (fileId: string, types: ProcessingManifest['jobs'][number]['type'][]) =>
    Promise.all(
      types.map((type) => queue.add({ id: `${fileId}:${type}`, fileId, type, options: {}, priority: JOB_PRIORITY[type] })),
    )

  return {
    manifests,
    async trigger(record) {
      const existing = await manifests.read(record.id, (name) => name)
      if (existing) return existing.state
      const jobs = planJobs(record.type, policy)
      if (jobs.length === 0) return 'none'
      await manifests.createPlan({
        fileId: record.id,
        key: record.key,
        type: record.type,
        createdAt: new Date().toISOString(),
        jobs,
      })
      await enqueue(record.id, jobs)
      logger.info({ fileId: record.id, jobs }, 'processing queued')
      return 'pending'
    },
    async recover() {
      const unfinished = await manifests.listUnfinished()
      for (const { plan, jobs } of unfinished) await enqueue(plan.fileId, jobs)
      const count = unfinished.reduce((sum, { jobs }) => sum + jobs.length, 0)
      if (count > 0) logger.info({ jobs: count }, 'processing jobs queued again after a restart')
      return count
    },
    read: (fileId, outputUrl) => manifests.read(fileId, outputUrl),
    subscribe(fileId, listener) {
      return queue.subscribe((event) => {
        if (fileId === undefined || event.job.fileId === fileId) listener(event)
      })
    },
    async remove(fileId) {
      // The plan first: a job finishing meanwhile then finds its file gone and removes what it
      // stored itself; one that finished before is in the outputs listed after.
      await manifests.deletePlan(fileId)
      for (const key of await manifests.outputKeys(fileId)) await backend.objects.delete(key)
      await manifests.delete(fileId)
    },
  }
}
