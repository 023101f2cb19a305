// A Ferry endpoint inside your own Node app: your sign-in and your pages next to Ferry's routes,
// with Ferry's store, job queue, webhooks, metrics and graceful shutdown as `ferry-server` runs
// them. Configured by the same FERRY_* variables (see the README); serves the ESM example's build
// (`npm run build -w @ferry/example-esm-app`) at `/`.
//
//   PORT=3000 node examples/self-hosted/server.mjs
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono } from 'hono'
import { setCookie } from 'hono/cookie'
import {
  ConfigError,
  createFerryServer,
  createGracefulShutdown,
  createLogger,
  HookRejection,
  loadConfig,
} from '@ferry/server'

const here = path.dirname(fileURLToPath(import.meta.url))
const appDirectory = process.env.APP_DIR ?? path.join(here, '../esm-app/dist')

let config
try {
  config = loadConfig(process.env)
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(error.message) // one line per bad variable
  process.exit(1)
}
const logger = createLogger(config.logLevel)

// Your app's sessions (in memory here; yours live in your database). Uploads belong to the user
// of the session: another user's upload URL answers 404.
const sessions = new Map()
const userOf = (cookieHeader) => {
  const token = /(?:^|;\s*)session=([\w-]+)/.exec(cookieHeader ?? '')?.[1]
  return token ? sessions.get(token) : undefined
}

const ferry = await createFerryServer({
  config,
  logger,
  // Called for every Ferry request: `undefined` answers 401.
  authenticate: async (request) => {
    const user = userOf(request.headers.get('cookie'))
    return user ? { userId: user } : undefined
  },
  hooks: {
    'pre-create': ({ upload }) => {
      if (!upload.metadata.filename) throw new HookRejection(400, 'send the file name (metadata "filename")')
    },
    'post-finish': ({ file }) => logger.info({ key: file.key, sha256: file.sha256 }, 'a file arrived'),
  },
})

const app = new Hono()
app.get('/session', (c) => {
  const user = userOf(c.req.header('cookie'))
  return user ? c.json({ user }) : c.json({ error: 'not signed in' }, 401)
})
app.post('/session', async (c) => {
  const name = String((await c.req.parseBody()).name ?? '')
  if (!/^[a-z0-9-]{1,32}$/.test(name)) return c.json({ error: 'a name of a-z, 0-9 and -, up to 32' }, 400)
  const token = randomBytes(24).toString('base64url')
  sessions.set(token, name)
  setCookie(c, 'session', token, { httpOnly: true, sameSite: 'Lax', path: '/' })
  return c.json({ user: name })
})
// Ferry's routes: the tus endpoint, its file API, health and metrics.
for (const route of ['/files', '/files/*', '/api/*', '/healthz', '/metrics']) {
  app.all(route, (c) => ferry.fetch(c.req.raw, c.env))
}
app.use('/*', serveStatic({ root: path.relative(process.cwd(), appDirectory) }))

const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  logger.info(`self-hosted Ferry on http://${config.host}:${info.port}`)
})
await ferry.start()
const shutdown = createGracefulShutdown({ server, drain: ferry.drain, graceMs: config.shutdownGraceMs, logger, close: ferry.close })
process.once('SIGTERM', () => shutdown('SIGTERM'))
process.once('SIGINT', () => shutdown('SIGINT'))
