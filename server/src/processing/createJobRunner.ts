import type { ProcessingJobType, ProcessingOutput } from '@ferry/protocol'
import type { Logger } from 'pino'
import type { StorageBackend } from '../storage/types.js'
import type { JobDocument, ManifestStore } from './manifest/ManifestStore.js'
import type { ProcessingPolicy } from './ProcessingPolicy.js'
import type { JobRunner } from './queue/types.js'
import { readWhole } from './readWhole.js'
import { runStep } from './runStep.js'
import { ProcessingStepError, type StepOutput } from './steps/index.js'

export interface JobRunnerOptions {
  backend: StorageBackend
  manifests: ManifestStore
  policy: ProcessingPolicy
  /** The queue's attempts, so the last one records the failure in the manifest. */
  attempts: number
  logger: Logger
}

// Stored with each output object, as promoted images are: no `public` (whether a bucket is served to all is its owner's choice).
const IMMUTABLE = 'max-age=31536000, immutable'

/**
 * The code every queue backend runs for a job: read the original, run the step, store the outputs
 * next to it, and record the job's state in its own manifest document. Outputs have keys that
 * depend only on the file and the step, so a job that runs again after a crash writes the same
 * objects again rather than new ones. The original is only ever read.
 */
export function createJobRunner({ backend, manifests, policy, attempts, logger }: JobRunnerOptions): JobRunner {
  return async (job, { attempt, signal }) => {
    const plan = await manifests.getPlan(job.fileId)
    if (!plan) return // the file was deleted while its job waited
    const type = job.type as ProcessingJobType
    const startedAt = new Date().toISOString()
    const base: JobDocument = { type, state: 'running', attempts: attempt, startedAt, outputs: [] }
    await manifests.writeJob(job.fileId, base)
    /**
     * The file was deleted while the job ran (the removal deletes the plan first): what the job
     * wrote after the removal listed the outputs would outlive the file, so it goes here.
     */
    const removeIfDeleted = async (stored: JobDocument['outputs']) => {
      if (await manifests.getPlan(job.fileId)) return
      for (const output of stored) await backend.objects.delete(output.key)
      await manifests.delete(job.fileId)
      logger.info({ fileId: job.fileId, job: type }, 'processing job of a deleted file: its outputs removed')
    }
    try {
      // The record names where the bytes are now (a promoted file moves once); the plan, where they were.
      const record = await backend.records.get(job.fileId)
      const bytes = await readWhole(await backend.objects.read(record?.key ?? plan.key), policy.maxInputBytes)
      signal.throwIfAborted()
      const { outputs, result } = await runStep(type, { bytes, type: plan.type, name: record?.name ?? null }, policy)
      signal.throwIfAborted()
      const stored: JobDocument['outputs'] = []
      for (const output of outputs) stored.push(await storeOutput(backend, job.fileId, type, output))
      const finishedAt = new Date().toISOString()
      await manifests.writeJob(job.fileId, { ...base, state: 'done', finishedAt, outputs: stored, result })
      await removeIfDeleted(stored)
    } catch (error) {
      const permanent = error instanceof ProcessingStepError
      const message = error instanceof Error ? error.message : String(error)
      if (permanent || attempt >= attempts) {
        const finishedAt = new Date().toISOString()
        await manifests.writeJob(job.fileId, { ...base, state: 'failed', finishedAt, error: message })
        await removeIfDeleted([])
        logger.warn({ fileId: job.fileId, job: type, attempt, error: message }, 'processing job failed')
      }
      // Retrying a step that refused its input would fail the same way: tell the queue not to.
      throw permanent ? Object.assign(error, { retryable: false }) : error
    }
  }
}

async function storeOutput(
  backend: StorageBackend,
  fileId: string,
  job: ProcessingJobType,
  output: StepOutput,
): Promise<Omit<ProcessingOutput, 'url'>> {
  const key = backend.derivedKeyOf(fileId, output.suffix, output.extension)
  await backend.objects.write(key, output.bytes, {
    contentType: output.contentType,
    contentEncoding: output.contentEncoding,
    cacheControl: IMMUTABLE,
  })
  return {
    name: `${output.suffix.replace(/^_/, '')}${output.extension}`,
    job,
    key,
    size: output.bytes.length,
    type: output.contentType,
    ...(output.contentEncoding ? { encoding: output.contentEncoding } : {}),
    ...(output.width ? { width: output.width } : {}),
    ...(output.height ? { height: output.height } : {}),
    createdAt: new Date().toISOString(),
    ...(output.info ? { info: output.info } : {}),
  }
}
