import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ProcessingJobType } from '@ferry/protocol'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FerryMemoryLocker } from '../locking/FerryMemoryLocker.js'
import { createProcessing, type Processing } from '../processing/createProcessing.js'
import { defaultProcessingPolicy } from '../processing/ProcessingPolicy.js'
import { createEmbeddedQueue } from '../processing/queue/EmbeddedQueue.js'
import type { JobQueue } from '../processing/queue/types.js'
import { createDiskBackend } from '../storage/diskBackend.js'
import type { FileRecord, StorageBackend } from '../storage/types.js'
import type { HookEvents } from './types.js'
import { reportSettledProcessing } from './reportSettledProcessing.js'

const logger = pino({ level: 'silent' })
// planJobs gives a PNG four jobs: metadata, compress, thumbnails, convert.
const PNG_JOBS = 4

/**
 * A real embedded queue and disk store; the job runner is this test's: it records each job's
 * outcome the way the real one does, then holds every job until all of them have, so that their
 * `completed` events arrive together and every reader already sees the file settled.
 */
describe('reportSettledProcessing', () => {
  let directory: string
  let backend: StorageBackend
  let queue: JobQueue
  let processing: Processing
  let stops: (() => void)[]

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'ferry-report-'))
    backend = createDiskBackend({ directory })
    await backend.prepare()
    queue = createEmbeddedQueue({ attempts: 1 })
    processing = createProcessing({ backend, queue, policy: defaultProcessingPolicy, logger })
    stops = []
  })
  afterEach(async () => {
    for (const stop of stops) stop()
    await queue.close()
    await rm(directory, { recursive: true, force: true })
  })

  /** Runs every job of a file to `outcome` at the same moment. */
  async function consumeTogether(outcome: (type: ProcessingJobType) => 'done' | 'failed'): Promise<void> {
    let written = 0
    let releaseAll = () => {}
    const allWritten = new Promise<void>((resolve) => {
      releaseAll = resolve
    })
    await queue.consume(async (job) => {
      const type = job.type as ProcessingJobType
      const state = outcome(type)
      await processing.manifests.writeJob(job.fileId, { type, state, attempts: 1, outputs: [] })
      if (++written === PNG_JOBS) releaseAll()
      await allWritten
      if (state === 'failed') throw Object.assign(new Error(`${type} failed`), { retryable: false })
    })
  }

  function listen(locker = new FerryMemoryLocker()) {
    const reports: HookEvents['post-process'][] = []
    stops.push(
      reportSettledProcessing({
        processing,
        hooks: { 'post-process': (event) => void reports.push(event) },
        locker,
        logger,
      }),
    )
    return reports
  }

  const trigger = (id: string) =>
    processing.trigger({ id, key: `uploads/${id}.png`, type: 'image/png' } as FileRecord)

  it('reports, when it starts, the recent files whose settling nobody reported', async () => {
    const plan = async (fileId: string, createdAt: Date, states: Array<'done' | 'failed' | 'running'>) => {
      const jobs = (['metadata', 'compress', 'thumbnails', 'convert'] as const).slice(0, states.length)
      await processing.manifests.createPlan({ fileId, key: `uploads/${fileId}.png`, type: 'image/png', createdAt: createdAt.toISOString(), jobs: [...jobs] })
      for (const [index, type] of jobs.entries()) {
        await processing.manifests.writeJob(fileId, { type, state: states[index] ?? 'done', attempts: 1, outputs: [] })
      }
    }
    const now = new Date()
    await plan('missed', now, ['done', 'failed'])
    await plan('running', now, ['done', 'running'])
    await plan('old', new Date(now.getTime() - 2 * 86_400_000), ['done'])
    await plan('reported', now, ['done'])
    await processing.manifests.markReported('reported')

    const reports = listen()
    await expect.poll(() => reports.length).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(reports.map((report) => [report.fileId, report.manifest.state])).toEqual([['missed', 'failed']])
    expect(await processing.manifests.wasReported('missed')).toBe(true)
    // The next start finds nothing left to report.
    const next = listen()
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(next).toHaveLength(0)
  })

  it('reports the other missed files while another report holds one, then takes that one over when it ends unmarked', async () => {
    // Listed in name order: the held one comes first.
    for (const fileId of ['a-held', 'b-free']) {
      await processing.manifests.createPlan({ fileId, key: `uploads/${fileId}.png`, type: 'image/png', createdAt: new Date().toISOString(), jobs: ['metadata'] })
      await processing.manifests.writeJob(fileId, { type: 'metadata', state: 'done', attempts: 1, outputs: [] })
    }
    const locker = new FerryMemoryLocker()
    // Another instance's report of one file, which will die before marking it.
    const held = locker.newLock('post-process:a-held')
    await held.lock(AbortSignal.timeout(1000), () => {})
    const reports: HookEvents['post-process'][] = []
    stops.push(
      reportSettledProcessing({ processing, hooks: { 'post-process': (event) => void reports.push(event) }, locker, logger, lockTimeoutMs: 100 }),
    )
    await expect.poll(() => reports.map((report) => report.fileId)).toEqual(['b-free'])
    // Several of its waits have run out meanwhile; it still waits.
    await new Promise((resolve) => setTimeout(resolve, 350))
    expect(reports.map((report) => report.fileId)).toEqual(['b-free'])
    await held.unlock()
    await expect.poll(() => reports.map((report) => report.fileId).sort()).toEqual(['a-held', 'b-free'])
    expect(await processing.manifests.wasReported('a-held')).toBe(true)
  })

  it('waits quietly behind a hook slower than its lock timeout, and reports nothing twice', async () => {
    const locker = new FerryMemoryLocker()
    const warnings: unknown[] = []
    const watched = pino({ level: 'debug' }, { write: (line: string) => void (JSON.parse(line).level >= 40 && warnings.push(line)) })
    const reports: string[] = []
    for (let instance = 0; instance < 2; instance++) {
      stops.push(
        reportSettledProcessing({
          processing,
          locker,
          logger: watched,
          lockTimeoutMs: 50,
          hooks: {
            'post-process': async (event) => {
              reports.push(event.fileId)
              await new Promise((resolve) => setTimeout(resolve, 400))
            },
          },
        }),
      )
    }
    await consumeTogether(() => 'done')
    await trigger('slow-hook')
    await expect.poll(() => processing.manifests.wasReported('slow-hook')).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(reports).toEqual(['slow-hook'])
    expect(warnings).toEqual([])
  })

  it('reports a file once when all its jobs settle at the same moment', async () => {
    const reports = listen()
    await consumeTogether(() => 'done')
    await trigger('together')
    await expect.poll(() => reports.length).toBe(1)
    // Give any duplicate a chance to show up.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatchObject({ fileId: 'together', manifest: { state: 'done' } })
    expect(await processing.manifests.wasReported('together')).toBe(true)
  })

  it('reports once between two instances that share the locker, as instances on one Redis do', async () => {
    const locker = new FerryMemoryLocker()
    const first = listen(locker)
    const second = listen(locker)
    await consumeTogether(() => 'done')
    await trigger('shared')
    await expect.poll(() => first.length + second.length).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(first.length + second.length).toBe(1)
  })

  it('reports a file whose last job failed as failed, once', async () => {
    const reports = listen()
    await consumeTogether((type) => (type === 'convert' ? 'failed' : 'done'))
    await trigger('broken')
    await expect.poll(() => reports.length).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(reports).toHaveLength(1)
    expect(reports[0]?.manifest.state).toBe('failed')
  })

  it('does not report a file again when its events arrive once more', async () => {
    const reports = listen()
    await consumeTogether(() => 'done')
    await trigger('replayed')
    await expect.poll(() => reports.length).toBe(1)
    // A listener started later (a restarted instance) that hears the same file's jobs settle.
    const late = listen()
    await queue.add({ id: 'replayed:metadata:again', fileId: 'replayed', type: 'metadata', options: {}, priority: 1 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(reports).toHaveLength(1)
    expect(late).toHaveLength(0)
  })

  it('does not report a file whose jobs have not all settled', async () => {
    const reports = listen()
    await queue.consume(async (job) => {
      const type = job.type as ProcessingJobType
      // One job never records an outcome, as if its process died mid-run.
      if (type !== 'thumbnails') await processing.manifests.writeJob(job.fileId, { type, state: 'done', attempts: 1, outputs: [] })
    })
    await trigger('unsettled')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(reports).toHaveLength(0)
  })
})
