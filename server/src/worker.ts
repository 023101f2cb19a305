import { loadConfigOrExit } from './config/loadConfigOrExit.js'
import { createRuntime } from './createRuntime.js'
import { createLogger } from './logger.js'
import { holdSignalsDuringStartup } from './startupSignals.js'

/**
 * `ferry-worker`: runs processing jobs from the BullMQ queue in Redis, beside one or more
 * `ferry-server` processes with the same configuration (store, `FERRY_QUEUE=bullmq`,
 * `FERRY_REDIS_URL`). Start as many as the work needs.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit()
  if (config.processing.queue.kind !== 'bullmq') {
    console.error('ferry-worker: FERRY_QUEUE must be bullmq (with FERRY_REDIS_URL); the embedded queue runs in ferry-server')
    process.exit(1)
  }
  const logger = createLogger(config.logLevel).child({ name: 'ferry-worker' })
  const startup = holdSignalsDuringStartup({ graceMs: config.shutdownGraceMs, logger })
  const runtime = await createRuntime({ config, logger, consume: true })
  logger.info({ store: config.store.kind }, 'ferry-worker running jobs')
  // Running jobs get the configured grace (the queue's close waits that long), then a little
  // for the connections to close; past that the exit says the stop was not clean.
  let stopping = false
  const shutdown = (_signal: string, held?: { receivedAt: number }) => {
    const receivedAt = held?.receivedAt ?? Date.now()
    // A second signal means now.
    if (stopping) process.exit(1)
    stopping = true
    // The grace counts from the signal, which start-up may have held.
    setTimeout(() => process.exit(1), Math.max(receivedAt + config.shutdownGraceMs - Date.now(), 0) + 2_000).unref()
    void runtime.close().then(() => process.exit(0))
  }
  startup.release(shutdown)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
