import { serve } from '@hono/node-server'
import { createApp } from './app.js'
import { createAuthenticate } from './auth/createAuthenticate.js'
import { loadConfigOrExit } from './config/loadConfigOrExit.js'
import { createRuntime } from './createRuntime.js'
import { findDemoFiles } from './demoFiles.js'
import { createMetrics } from './metrics/createMetrics.js'
import { scheduleCleanup } from './maintenance/scheduleCleanup.js'
import { createLogger } from './logger.js'
import { createWebhookDispatcher, createWebhookHooks } from './webhooks/index.js'

const SHUTDOWN_GRACE_MS = 10_000

async function main(): Promise<void> {
  const config = loadConfigOrExit()
  const logger = createLogger(config.logLevel)
  // The embedded queue runs jobs here; with BullMQ, `ferry-worker` processes run them.
  const metrics = createMetrics()
  const runtime = await createRuntime({
    config,
    logger,
    consume: config.processing.queue.kind === 'embedded',
    metrics,
  })
  const { backend, processing } = runtime

  const webhooks =
    config.webhooks.urls.length > 0
      ? createWebhookDispatcher({ documents: backend.documents, ...config.webhooks, logger })
      : undefined
  await webhooks?.start()
  const hooks = webhooks ? createWebhookHooks({ dispatcher: webhooks, events: config.webhooks.events }) : {}

  const demo = findDemoFiles()
  const authenticate = createAuthenticate(config.auth)
  const app = createApp({ config, backend, logger, hooks, processing, demo, authenticate, metrics })
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(
      { port: info.port, host: config.host, store: config.store.kind, queue: config.processing.queue.kind },
      `ferry-server listening on http://${config.host}:${info.port}`,
    )
  })
  // Jobs that a crash or restart left unfinished run again; their outputs are deterministic.
  await processing?.recover()
  const stopCleanup = scheduleCleanup({ backend, intervalMs: config.cleanupIntervalMs, logger })

  // Stop accepting connections, let in-flight requests and jobs finish, then exit.
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down')
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref()
    stopCleanup()
    server.close(async () => {
      await Promise.allSettled([runtime.close(), webhooks?.close()])
      process.exit(0)
    })
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
