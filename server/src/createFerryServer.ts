import { ERROR_CODES } from '@ferry/protocol'
import type { Hono } from 'hono'
import type { Logger } from 'pino'
import { createApp, type DemoFiles } from './app.js'
import { createAuthenticate } from './auth/createAuthenticate.js'
import type { Authenticate } from './auth/types.js'
import type { ServerConfig } from './config/loadConfig.js'
import { createRuntime, type Runtime } from './createRuntime.js'
import { configuredDownloadUrls } from './downloads/configuredDownloadUrls.js'
import { combineHooks } from './hooks/runHooks.js'
import type { FerryHooks } from './hooks/types.js'
import { corsHeaders, TUS_ERROR_HEADERS } from './http/corsHeaders.js'
import { createRequestDrain, type RequestDrain } from './http/requestDrain.js'
import { createServerDigests } from './integrity/createServerDigests.js'
import { createCoordination } from './locking/createCoordination.js'
import { scheduleCleanup } from './maintenance/scheduleCleanup.js'
import { createMetrics } from './metrics/createMetrics.js'
import { createWebhookDispatcher, createWebhookHooks } from './webhooks/index.js'

export interface FerryServerOptions {
  config: ServerConfig
  logger: Logger
  /**
   * Who a request comes from (your session, your tokens).
   * @default what `config.auth` says (`FERRY_AUTH`: anonymous, or bearer JWT)
   */
  authenticate?: Authenticate
  /** In-process hooks; they run beside the webhooks that `config.webhooks` sends. */
  hooks?: FerryHooks
  /** The demo page at `/`; none when left out. */
  demo?: DemoFiles
}

export interface FerryServer {
  /** The Ferry routes (`/files/`, `/api/files`, `/healthz`, `/metrics`). */
  app: Hono
  /**
   * `app.fetch`, counted for a graceful shutdown: serve this, or hand it the requests of the
   * Ferry routes from your own app (`(c) => ferry.fetch(c.req.raw, c.env)` in Hono).
   */
  fetch: ReturnType<RequestDrain['wrap']>
  /** For `createGracefulShutdown`: lets the requests in flight finish and refuses new writes. */
  drain: RequestDrain
  runtime: Runtime
  /** Call once serving: runs again the jobs a restart left unfinished, and starts the cleanup of expired uploads. */
  start(): Promise<void>
  /** Call once requests have drained: closes the job queue, webhooks and Redis, and saves the hash checkpoints. */
  close(): Promise<void>
}

/**
 * Everything `ferry-server` runs, for an app that serves it itself: the store, the job queue,
 * webhooks, locks, metrics and the routes, from one validated configuration.
 *
 * @example
 * const config = loadConfig(process.env)
 * const logger = createLogger(config.logLevel)
 * const ferry = await createFerryServer({ config, logger, authenticate: mySession })
 * const server = serve({ fetch: ferry.fetch, port: config.port })
 * await ferry.start()
 * process.once('SIGTERM', createGracefulShutdown({ server, drain: ferry.drain, graceMs: config.shutdownGraceMs, logger, close: ferry.close }))
 */
export async function createFerryServer({ config, logger, authenticate, hooks, demo }: FerryServerOptions): Promise<FerryServer> {
  const metrics = createMetrics()
  // The embedded queue runs jobs here; with BullMQ, `ferry-worker` processes run them.
  const runtime = await createRuntime({
    config,
    logger,
    consume: config.processing.queue.kind === 'embedded',
    metrics,
  })
  // What is built so far is closed again if a later step fails, so a failed start leaks nothing.
  const built: (() => Promise<unknown> | undefined)[] = [() => runtime.close()]
  const closeBuilt = () => Promise.allSettled(built.map((close) => close()))
  try {
    return await assemble()
  } catch (error) {
    await closeBuilt()
    throw error
  }

  async function assemble(): Promise<FerryServer> {
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
    if (webhooks) built.push(() => webhooks.close())
    await webhooks?.start()
    const webhookHooks = webhooks ? createWebhookHooks({ dispatcher: webhooks, events: config.webhooks.events }) : {}
    // Upload locks and rate limits: in this process, or shared with other instances in Redis.
    const coordination = createCoordination({ config: config.coordination, policy: config.policy, logger })
    built.push(() => coordination.close())
    const { locker, rateLimiter } = coordination
    const digests = createServerDigests({
      serverHash: config.serverHash,
      backend,
      soleWriter: config.coordination.kind === 'memory',
      logger,
    })
    // Requests have drained by the time this runs: the hash checkpoints saved behind their
    // answers land before the hash threads end.
    if (digests) built.push(() => digests.flush().finally(() => digests.close()))
    const downloadUrls = configuredDownloadUrls({
      config,
      logger,
      credentialsRequired: authenticate !== undefined || config.auth.kind !== 'anonymous',
    })
    const app = createApp({
      config,
      backend,
      logger,
      // The app's hooks first, so a webhook receiver sees what they did; a failing one never
      // costs a delivery (see combineHooks).
      hooks: combineHooks(hooks, webhookHooks),
      processing,
      promotion,
      demo,
      authenticate: authenticate ?? createAuthenticate(config.auth),
      metrics,
      locker,
      rateLimiter,
      digests,
      downloadUrls,
    })
    const drain = createRequestDrain({
      onRefused: () => metrics.uploadsFailed.inc({ reason: ERROR_CODES.shuttingDown }),
      errorHeaders: (origin) => ({
        'Tus-Resumable': '1.0.0',
        ...corsHeaders(origin, config.corsOrigins, TUS_ERROR_HEADERS),
      }),
    })
    let started: Promise<void> | undefined
    let stopCleanup = () => {}
    return {
      app,
      fetch: drain.wrap(app.fetch),
      drain,
      runtime,
      start() {
        started ??= (async () => {
          // Jobs that a crash or restart left unfinished run again; their outputs are deterministic.
          await processing?.recover()
          stopCleanup = scheduleCleanup({ backend, intervalMs: config.cleanupIntervalMs, logger })
        })()
        return started
      },
      async close() {
        stopCleanup()
        await closeBuilt()
      },
    }
  }
}
