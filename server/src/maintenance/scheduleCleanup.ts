import type { Logger } from 'pino'
import type { StorageBackend } from '../storage/types.js'

export interface CleanupOptions {
  backend: StorageBackend
  intervalMs: number
  logger: Logger
}

/**
 * Removes expired unfinished uploads every `intervalMs` (on S3, their multipart uploads are
 * aborted and their `.info` and `.part` objects deleted). One run at a time; the timer never keeps
 * the process alive. Returns the function that stops it.
 */
export function scheduleCleanup({ backend, intervalMs, logger }: CleanupOptions): () => void {
  if (backend.datastore.getExpiration() <= 0) return () => {}
  let running = false
  const run = async () => {
    if (running) return
    running = true
    try {
      const deleted = await backend.datastore.deleteExpired()
      if (deleted > 0) logger.info({ deleted }, 'expired uploads removed')
    } catch (error) {
      logger.warn({ err: error }, 'removing expired uploads failed')
    } finally {
      running = false
    }
  }
  const timer = setInterval(run, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
