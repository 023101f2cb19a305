import { ERRORS, type Lock, type Locker } from '@tus/utils'
import type { Logger } from 'pino'
import type { Processing } from '../processing/createProcessing.js'
import { runPostHook } from './runHooks.js'
import type { FerryHooks } from './types.js'

/** Missed files reported at once after a restart. */
const REPLAY_CONCURRENCY = 4

export interface SettledProcessingOptions {
  processing: Processing
  hooks: FerryHooks
  /** The upload locker: shared by every instance when they coordinate through Redis. */
  locker: Locker
  logger: Logger
  /**
   * How long one wait for another report of the same file lasts; a report waits again as long as
   * that one goes on (its hook may be slow), and gives up only when this stops. @default 30000
   */
  lockTimeoutMs?: number
  /**
   * Files planned this recently whose settling no process reported (all stopped first) are
   * reported when this starts. Older ones are left alone: a hook added to a running system is
   * not sent its whole history. @default 86400000 (a day)
   */
  replayWindowMs?: number
}

/**
 * Runs the `post-process` hook once per file, when its last job settles, whichever process ran it.
 * Two jobs of a file can settle at the same moment, and with BullMQ every server instance hears
 * every job event: each one would see the manifest settled and report it. So a report is claimed
 * under the file's lock and marked in the manifest once its hook has run; whoever comes next finds
 * the mark. Whoever waits behind a report keeps waiting while it runs, so a slow hook makes no
 * noise, and if the reporting process dies (its Redis lease runs out) the waiter reports the file
 * itself. A file whose last job settled while every instance was down, or died before its hook
 * ran, is reported when the next one starts (within `replayWindowMs`); the hook may then see a
 * file twice, if a process died after its hook ran but before the mark was written.
 * @returns a function that stops listening
 */
export function reportSettledProcessing({
  processing,
  hooks,
  locker,
  logger,
  lockTimeoutMs = 30_000,
  replayWindowMs = 86_400_000,
}: SettledProcessingOptions): () => void {
  const { manifests } = processing
  const stopping = new AbortController()

  /** Takes the file's report lock, however long another report holds it; `false` once stopped. */
  async function claim(lock: Lock, fileId: string): Promise<boolean> {
    for (;;) {
      try {
        // A report holds the lock for a few document reads and writes and its hook: nobody needs
        // to ask for it back.
        await lock.lock(AbortSignal.any([stopping.signal, AbortSignal.timeout(lockTimeoutMs)]), () => {})
        return true
      } catch (error) {
        if (stopping.signal.aborted) return false
        if (error !== ERRORS.ERR_LOCK_TIMEOUT) throw error
        logger.debug({ fileId }, 'another report of this file is still running; waiting on')
      }
    }
  }

  async function reportOnce(fileId: string): Promise<void> {
    const lock = locker.newLock(`post-process:${fileId}`)
    if (!(await claim(lock, fileId))) return
    try {
      const manifest = await processing.read(fileId, (name) => name)
      if (!manifest || (manifest.state !== 'done' && manifest.state !== 'failed')) return
      if (await manifests.wasReported(fileId)) return
      await runPostHook(hooks, 'post-process', { fileId, manifest }, logger)
      await manifests.markReported(fileId)
    } finally {
      await lock.unlock()
    }
  }

  async function reportMissed(): Promise<void> {
    const missed = await manifests.listSettledUnreported(new Date(Date.now() - replayWindowMs))
    // A few at a time: a file whose report another instance holds waits without holding up the
    // rest, and a long backlog does not reach the hooks all at once.
    const queue = [...missed]
    const reportNext = async (): Promise<void> => {
      for (let fileId = queue.shift(); fileId !== undefined && !stopping.signal.aborted; fileId = queue.shift()) {
        const file = fileId
        // One file's failure is not the others'.
        await reportOnce(file).catch((error: unknown) => logger.warn({ err: error, fileId: file }, 'reporting settled processing failed'))
      }
    }
    await Promise.all(Array.from({ length: REPLAY_CONCURRENCY }, reportNext))
    if (missed.length > 0) logger.info({ files: missed.length }, 'settled processing reported after a restart')
  }

  const unsubscribe = processing.subscribe(undefined, (event) => {
    if (event.type !== 'completed' && event.type !== 'failed') return
    reportOnce(event.job.fileId).catch((error: unknown) =>
      logger.warn({ err: error, fileId: event.job.fileId }, 'reporting settled processing failed'),
    )
  })
  reportMissed().catch((error: unknown) => logger.warn({ err: error }, 'reporting missed settled processing failed'))
  return () => {
    stopping.abort()
    unsubscribe()
  }
}
