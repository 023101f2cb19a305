import { serve } from '@hono/node-server'
import { createApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { findDemoFiles } from './demoFiles.js'
import { createLogger } from './logger.js'
import { createBackend } from './storage/createBackend.js'

const SHUTDOWN_GRACE_MS = 10_000

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
  const logger = createLogger(config.logLevel)
  const backend = createBackend(config.store)
  await backend.prepare()
  const demo = findDemoFiles()
  const app = createApp({ config, backend, logger, demo })

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(
      { port: info.port, host: config.host, store: config.store.kind, demo: Boolean(demo) },
      `ferry-server listening on http://${config.host}:${info.port}`,
    )
  })

  // Stop accepting connections, let in-flight PATCH requests finish, then exit.
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down')
    server.close(() => process.exit(0))
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref()
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
