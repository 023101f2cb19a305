import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { loadConfigOrExit } from './config/loadConfigOrExit.js'
import { createFerryServer } from './createFerryServer.js'
import { findDemoFiles } from './demoFiles.js'
import { createGracefulShutdown } from './gracefulShutdown.js'
import { createLogger } from './logger.js'
import { holdSignalsDuringStartup } from './startupSignals.js'

async function main(): Promise<void> {
  const config = loadConfigOrExit()
  const logger = createLogger(config.logLevel)
  const startup = holdSignalsDuringStartup({ graceMs: config.shutdownGraceMs, logger })
  const ferry = await createFerryServer({ config, logger, demo: findDemoFiles() })
  // Without a `createServer` option, serve() makes a node:http Server.
  const server = serve({ fetch: ferry.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(
      { port: info.port, host: config.host, store: config.store.kind, queue: config.processing.queue.kind },
      `ferry-server listening on http://${config.host}:${info.port}`,
    )
  }) as Server
  server.once('error', (error: NodeJS.ErrnoException) => {
    const where = `${config.host}:${config.port}`
    const reason =
      error.code === 'EADDRINUSE'
        ? `port ${config.port} is already in use on ${config.host}: stop what listens there or set PORT`
        : error.code === 'EACCES'
          ? `not allowed to listen on ${where} (ports below 1024 need privileges): set PORT`
          : `cannot listen on ${where}: ${error.message}`
    logger.fatal({ code: error.code }, reason)
    console.error(`ferry-server: ${reason}`)
    process.exit(1)
  })
  await ferry.start()
  const shutdown = createGracefulShutdown({
    server,
    drain: ferry.drain,
    graceMs: config.shutdownGraceMs,
    logger,
    close: ferry.close,
  })
  startup.release(shutdown)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
