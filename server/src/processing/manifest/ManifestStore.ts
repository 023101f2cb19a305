import type {
  ProcessingJobStatus,
  ProcessingJobType,
  ProcessingManifest,
  ProcessingOutput,
  ProcessingState,
} from '@ferry/protocol'
import type { DocumentStore } from '../../storage/types.js'

/** What was planned for a file when its upload was verified. */
export interface ManifestPlan {
  fileId: string
  /** The original's key in the store. */
  key: string
  type: string
  createdAt: string
  jobs: ProcessingJobType[]
}

/** One job's own document: its status and the outputs it stored. */
export interface JobDocument extends ProcessingJobStatus {
  outputs: Omit<ProcessingOutput, 'url' | 'downloadUrl' | 'downloadUrlExpiresAt'>[]
}

/**
 * Manifests as documents: `manifests/<fileId>/plan.json` written once, and one
 * `manifests/<fileId>/jobs/<type>.json` per job, written only by the job that owns it. Jobs of
 * one file may finish at the same moment in different processes; since none writes another's
 * document, there is nothing to lock and no update can be lost.
 */
export class ManifestStore {
  constructor(readonly documents: DocumentStore) {}

  async createPlan(plan: ManifestPlan): Promise<void> {
    await this.documents.put(planPath(plan.fileId), plan)
  }

  getPlan(fileId: string): Promise<ManifestPlan | undefined> {
    return this.documents.get<ManifestPlan>(planPath(fileId))
  }

  async writeJob(fileId: string, job: JobDocument): Promise<void> {
    await this.documents.put(jobPath(fileId, job.type), job)
  }

  getJob(fileId: string, type: ProcessingJobType): Promise<JobDocument | undefined> {
    return this.documents.get<JobDocument>(jobPath(fileId, type))
  }

  /** Whether the file's settled processing was reported (the `post-process` hook ran). */
  async wasReported(fileId: string): Promise<boolean> {
    return (await this.documents.get(reportedPath(fileId))) !== undefined
  }

  async markReported(fileId: string): Promise<void> {
    await this.documents.put(reportedPath(fileId), { reportedAt: new Date().toISOString() })
  }

  /** The manifest as clients see it; `outputUrl` turns an output's name into its URL. */
  async read(
    fileId: string,
    outputUrl: (name: string) => string,
  ): Promise<ProcessingManifest | undefined> {
    const plan = await this.getPlan(fileId)
    if (!plan) return undefined
    const documents = await Promise.all(plan.jobs.map((type) => this.getJob(fileId, type)))
    const jobs = plan.jobs.map(
      (type, index): JobDocument => documents[index] ?? { type, state: 'pending', attempts: 0, outputs: [] },
    )
    return {
      fileId,
      createdAt: plan.createdAt,
      state: overallState(jobs),
      jobs: jobs.map(({ outputs: _outputs, ...status }) => status),
      outputs: jobs.flatMap((job) => job.outputs.map((output) => ({ ...output, url: outputUrl(output.name) }))),
    }
  }

  /** Files with jobs that have not finished: pending, or running when a process died. */
  async listUnfinished(): Promise<{ plan: ManifestPlan; jobs: ProcessingJobType[] }[]> {
    const planPaths = (await this.documents.list('manifests/')).filter((path) => path.endsWith('/plan.json'))
    const unfinished: { plan: ManifestPlan; jobs: ProcessingJobType[] }[] = []
    for (const path of planPaths) {
      const plan = await this.documents.get<ManifestPlan>(path)
      if (!plan) continue
      const jobs = await Promise.all(plan.jobs.map((type) => this.getJob(plan.fileId, type)))
      const open = plan.jobs.filter((_type, index) => !isSettled(jobs[index]))
      if (open.length > 0) unfinished.push({ plan, jobs: open })
    }
    return unfinished
  }

  /**
   * Files planned since `since` whose jobs have all settled but whose settling was never reported:
   * every process that could have reported it stopped first.
   */
  async listSettledUnreported(since: Date): Promise<string[]> {
    const paths = await this.documents.list('manifests/')
    const reported = new Set(paths.filter((path) => path.endsWith('/reported.json')).map(fileIdOf))
    const candidates = paths.filter((path) => path.endsWith('/plan.json')).map(fileIdOf).filter((id) => !reported.has(id))
    const settled: string[] = []
    for (const fileId of candidates) {
      const plan = await this.getPlan(fileId)
      if (!plan || Date.parse(plan.createdAt) < since.getTime()) continue
      const jobs = await Promise.all(plan.jobs.map((type) => this.getJob(fileId, type)))
      if (jobs.every(isSettled)) settled.push(fileId)
    }
    return settled
  }

  /** Removes the manifest's documents (the outputs' objects are the caller's to remove). */
  async delete(fileId: string): Promise<void> {
    for (const path of await this.documents.list(`manifests/${fileId}/`)) await this.documents.delete(path)
  }

  /** Removes the plan alone: from then on the file's jobs know it is gone (`getPlan`). */
  async deletePlan(fileId: string): Promise<void> {
    await this.documents.delete(planPath(fileId))
  }

  /** The keys of every output the file's jobs recorded, with or without a plan. */
  async outputKeys(fileId: string): Promise<string[]> {
    const paths = (await this.documents.list(`manifests/${fileId}/jobs/`)).filter((path) => path.endsWith('.json'))
    const jobs = await Promise.all(paths.map((path) => this.documents.get<JobDocument>(path)))
    return jobs.flatMap((job) => job?.outputs.map((output) => output.key) ?? [])
  }
}

export function overallState(jobs: Pick<ProcessingJobStatus, 'state'>[]): ProcessingState {
  if (jobs.length === 0) return 'none'
  if (jobs.every((job) => job.state === 'pending')) return 'pending'
  if (jobs.some((job) => job.state === 'pending' || job.state === 'running')) return 'running'
  return jobs.some((job) => job.state === 'failed') ? 'failed' : 'done'
}

const isSettled = (job: JobDocument | undefined) => job?.state === 'done' || job?.state === 'failed'
const planPath = (fileId: string) => `manifests/${fileId}/plan.json`
const fileIdOf = (path: string) => path.split('/')[1] ?? ''
const reportedPath = (fileId: string) => `manifests/${fileId}/reported.json`
const jobPath = (fileId: string, type: ProcessingJobType) => `manifests/${fileId}/jobs/${type}.json`
