import type { Server } from 'node:http'
import { ERROR_CODES } from '@ferry/protocol'
import { serve } from '@hono/node-server'
import { createApp } from './app.js'
import { createAuthenticate } from './auth/createAuthenticate.js'
import { loadConfigOrExit } from './config/loadConfigOrExit.js'
import { createRuntime } from './createRuntime.js'
import { findDemoFiles } from './demoFiles.js'
import { createGracefulShutdown } from './gracefulShutdown.js'
import { createServerDigests } from './integrity/createServerDigests.js'
import { createCoordination } from './locking/createCoordination.js'
import { corsHeaders, TUS_ERROR_HEADERS } from './http/corsHeaders.js'
import { createRequestDrain } from './http/requestDrain.js'
import { createMetrics } from './metrics/createMetrics.js'
import { scheduleCleanup } from './maintenance/scheduleCleanup.js'
import { createLogger } from './logger.js'
import { holdSignalsDuringStartup } from './startupSignals.js'
import { createWebhookDispatcher, createWebhookHooks } from './webhooks/index.js'

async function main(): Promise<void> {
  const config = loadConfigOrExit()
  const logger = createLogger(config.logLevel)
  const startup = holdSignalsDuringStartup({ graceMs: config.shutdownGraceMs, logger })
  // The embedded queue runs jobs here; with BullMQ, `ferry-worker` processes run them.
  const metrics = createMetrics()
  const runtime = await createRuntime({
    config,
    logger,
    consume: config.processing.queue.kind === 'embedded',
    metrics,
  })
  const { backend, processing, promotion } = runtime

  const webhooks =
    config.webhooks.urls.length > 0
      ? createWebhookDispatcher({
          documents: backend.documents,
          ...config.webhooks,
          closeGraceMs: config.shutdownGraceMs,
          logger,
        })
      : undefined
  await webhooks?.start()
  const hooks = webhooks ? createWebhookHooks({ dispatcher: webhooks, events: config.webhooks.events }) : {}

  const demo = findDemoFiles()
  const authenticate = createAuthenticate(config.auth)
  // Upload locks and rate limits: in this process, or shared with other instances in Redis.
  const coordination = createCoordination({ config: config.coordination, policy: config.policy, logger })
  const { locker, rateLimiter } = coordination
  const digests = createServerDigests({
    serverHash: config.serverHash,
    backend,
    soleWriter: config.coordination.kind === 'memory',
    logger,
  })
  const app = createApp({
    config,
    backend,
    logger,
    hooks,
    processing,
    promotion,
    demo,
    authenticate,
    metrics,
    locker,
    rateLimiter,
    digests,
  })
  const drain = createRequestDrain({
    onRefused: () => metrics.uploadsFailed.inc({ reason: ERROR_CODES.shuttingDown }),
    errorHeaders: (origin) => ({
      'Tus-Resumable': '1.0.0',
      ...corsHeaders(origin, config.corsOrigins, TUS_ERROR_HEADERS),
    }),
  })
  const fetch = drain.wrap(app.fetch)
  // Without a `createServer` option, serve() makes a node:http Server.
  const server = serve({ fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(
      { port: info.port, host: config.host, store: config.store.kind, queue: config.processing.queue.kind },
      `ferry-server listening on http://${config.host}:${info.port}`,
    )
  }) as Server
  // Jobs that a crash or restart left unfinished run again; their outputs are deterministic.
  await processing?.recover()
  const stopCleanup = scheduleCleanup({ backend, intervalMs: config.cleanupIntervalMs, logger })

  const shutdown = createGracefulShutdown({
    server,
    drain,
    graceMs: config.shutdownGraceMs,
    logger,
    close: async () => {
      stopCleanup()
      // Requests have drained: the hash checkpoints saved behind their answers land before exit.
      await Promise.allSettled([runtime.close(), webhooks?.close(), coordination.close(), digests?.flush()])
    },
  })
  startup.release(shutdown)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
