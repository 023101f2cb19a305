import { readFile } from 'node:fs/promises'
import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import type { Logger } from 'pino'
import type { ServerConfig } from './config.js'
import { FerryHttpError } from './errors.js'
import { downloadCorsHeaders } from './http/downloadCors.js'
import { requestLog } from './http/requestLog.js'
import { createFinalizer, quarantinedError } from './integrity/createFinalizer.js'
import { createDownloadRoute } from './routes/downloadRoute.js'
import type { StorageBackend } from './storage/types.js'
import { createTusServer, TUS_PATH } from './tus/createTusServer.js'

export interface DemoFiles {
  /** The HTML page served at `/`. */
  page: string
  /** Files served next to it, by URL path (for example `/ferry.umd.min.js`). */
  assets: Record<string, { file: string; type: string }>
}

export interface AppOptions {
  config: Pick<ServerConfig, 'corsOrigins' | 'maxSize' | 'requireDigest' | 'trustProxy'>
  backend: StorageBackend
  logger: Logger
  demo?: DemoFiles
}

/**
 * Builds the Ferry server as a Hono app. Does no I/O: the caller prepares the backend and serves.
 *
 * @example
 * const app = createApp({ config, backend: createBackend(config.store), logger })
 * serve({ fetch: app.fetch, port: 3000 })
 */
export function createApp({ config, backend, logger, demo }: AppOptions): Hono {
  const finalize = createFinalizer({ backend, requireDigest: config.requireDigest, logger })
  const tus = createTusServer({
    backend,
    finalize,
    logger,
    corsOrigins: config.corsOrigins,
    maxSize: config.maxSize,
    trustProxy: config.trustProxy,
  })
  const handleTus = (c: { req: { raw: Request } }) => tus.handleWeb(c.req.raw)
  const download = createDownloadRoute({ backend, finalize })

  const app = new Hono()
  app.use(requestId())
  app.use(requestLog(logger))
  app.onError((error, c) => {
    if (error instanceof FerryHttpError) return error.toResponse()
    logger.error({ err: error, requestId: c.get('requestId') }, 'unhandled error')
    return c.json({ error: { code: 'internal', message: 'ferry-server: internal error' } }, 500)
  })

  app.get('/healthz', (c) => c.json({ status: 'ok', store: backend.kind }))

  // Own routes come before the catch-all tus routes. Hono routes HEAD to GET handlers, so this
  // one route serves both the tus HEAD (offset and metadata) and the download.
  app.get(`${TUS_PATH}/:id`, async (c) => {
    if (c.req.method === 'HEAD') {
      const record = await backend.records.get(c.req.param('id'))
      if (record?.state !== 'quarantined') return handleTus(c)
      return quarantinedError(record.id).toResponse({ 'Tus-Resumable': '1.0.0', 'Cache-Control': 'no-store' })
    }
    const cors = downloadCorsHeaders(c.req.header('origin'), config.corsOrigins)
    try {
      const response = await download(c)
      for (const [name, value] of Object.entries(cors)) response.headers.set(name, value)
      return response
    } catch (error) {
      if (error instanceof FerryHttpError) return error.toResponse(cors)
      throw error
    }
  })
  app.delete(`${TUS_PATH}/:id`, async (c) => {
    const response = await handleTus(c)
    // Terminated means gone everywhere; the verdict goes with the bytes.
    if (response.status === 204) await backend.records.delete(c.req.param('id'))
    return response
  })
  app.all(TUS_PATH, handleTus)
  app.all(`${TUS_PATH}/*`, handleTus)

  if (demo) {
    app.get('/', async (c) => c.html(await readFile(demo.page, 'utf8')))
    for (const [urlPath, asset] of Object.entries(demo.assets)) {
      app.get(urlPath, async (c) =>
        c.body(await readFile(asset.file), 200, {
          'Content-Type': asset.type,
          'Cache-Control': 'no-cache',
        }),
      )
    }
  }
  return app
}
