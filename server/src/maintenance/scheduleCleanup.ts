import type { Logger } from 'pino'
import { createHashCheckpoints } from '../integrity/hashCheckpoints.js'
import type { StorageBackend } from '../storage/types.js'
import { removeOrphanedPendingFinals, removeStaleJoinMarkers } from '../tus/concatenation.js'

export interface CleanupOptions {
  backend: StorageBackend
  intervalMs: number
  logger: Logger
}

/**
 * Removes expired unfinished uploads every `intervalMs` (on S3, their multipart uploads are
 * aborted and their `.info` and `.part` objects deleted), the markers of partial uploads joined
 * longer ago than that, the records of finals that expired before their partials finished, then
 * the hash checkpoints of uploads that no longer exist. One run at a time; the timer never keeps the process alive. Returns the
 * function that stops it.
 */
export function scheduleCleanup({ backend, intervalMs, logger }: CleanupOptions): () => void {
  if (backend.datastore.getExpiration() <= 0) return () => {}
  let running = false
  const run = async () => {
    if (running) return
    running = true
    // Each sweep on its own: one that fails (the store briefly away) does not skip the others.
    const sweep = async (what: string, remove: () => Promise<number>) => {
      try {
        const removed = await remove()
        if (removed > 0) logger.info({ removed }, `${what} removed`)
      } catch (error) {
        logger.warn({ err: error }, `removing ${what} failed`)
      }
    }
    await sweep('expired uploads', () => backend.datastore.deleteExpired())
    await sweep('markers of joined partial uploads', () => removeStaleJoinMarkers(backend.documents, backend.datastore.getExpiration()))
    await sweep('records of final uploads that expired', () => removeOrphanedPendingFinals(backend))
    await sweep('hash checkpoints of removed uploads', () => removeOrphanedCheckpoints(backend))
    running = false
  }
  const timer = setInterval(run, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}

async function removeOrphanedCheckpoints(backend: StorageBackend): Promise<number> {
  const checkpoints = createHashCheckpoints(backend.documents)
  let removed = 0
  for (const id of await checkpoints.ids()) {
    const gone = await backend.datastore.getUpload(id).then(
      () => false,
      (error: { status_code?: number }) => error?.status_code === 404 || error?.status_code === 410,
    )
    if (!gone) continue
    await checkpoints.delete(id)
    removed++
  }
  return removed
}
