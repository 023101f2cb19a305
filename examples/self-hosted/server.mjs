// A Ferry endpoint inside your own Node app: your sign-in and your pages next to Ferry's routes,
// with Ferry's store, job queue, webhooks, metrics and graceful shutdown as `ferry-server` runs
// them. Configured by the same FERRY_* variables (see the README); serves the ESM example's build
// (`npm run build -w @ferry/example-esm-app`) at `/`.
//
//   PORT=3000 node examples/self-hosted/server.mjs
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
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
  holdSignalsDuringStartup,
  HookRejection,
  loadConfig,
} from '@ferry/server'

const here = path.dirname(fileURLToPath(import.meta.url))
// Absolute, and only the app's build: never a folder that holds FERRY_DATA_DIR or anything else.
const appDirectory = path.resolve(process.env.APP_DIR ?? path.join(here, '../esm-app/dist'))
if (!existsSync(path.join(appDirectory, 'index.html'))) {
  console.error(`no app in ${appDirectory}: build it first (npm run build -w @ferry/example-esm-app) or set APP_DIR`)
  process.exit(1)
}

let config
try {
  config = loadConfig(process.env)
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(error.message) // one line per bad variable
  process.exit(1)
}
const logger = createLogger(config.logLevel)
// A stop signal while Ferry starts (store, queue, Redis) waits for the graceful shutdown.
const startup = holdSignalsDuringStartup({ graceMs: config.shutdownGraceMs, logger })

// A stand-in for your app's own sign-in: anyone may take any name, with no password. Keep the
// shape (a session cookie that names the user, checked by `authenticate`) and put your real
// authentication behind it. Uploads belong to the session's user; another user's upload URL
// answers 404.
const SESSION_MS = 8 * 60 * 60 * 1000
const sessions = new Map() // token → { user, expires }
const sessionToken = (cookieHeader) => /(?:^|;\s*)session=([\w-]+)/.exec(cookieHeader ?? '')?.[1]
const userOf = (cookieHeader) => {
  const token = sessionToken(cookieHeader)
  const session = token ? sessions.get(token) : undefined
  if (!session || session.expires < Date.now()) return undefined
  return session.user
}
const forgetExpired = () => {
  for (const [token, { expires }] of sessions) if (expires < Date.now()) sessions.delete(token)
}
setInterval(forgetExpired, 60_000).unref()

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
  // Signing in from another site's page (login CSRF) would file the user's uploads under its name.
  const origin = c.req.header('origin')
  if (origin !== undefined && origin !== new URL(c.req.url).origin) return c.json({ error: 'sign in from this site' }, 403)
  const name = String((await c.req.parseBody()).name ?? '')
  if (!/^[a-z0-9-]{1,32}$/.test(name)) return c.json({ error: 'a name of a-z, 0-9 and -, up to 32' }, 400)
  const token = randomBytes(24).toString('base64url')
  sessions.set(token, { user: name, expires: Date.now() + SESSION_MS })
  setCookie(c, 'session', token, {
    httpOnly: true,
    sameSite: 'Lax',
    path: '/',
    maxAge: SESSION_MS / 1000,
    // Behind HTTPS (as in production), the cookie is never sent in the clear.
    secure: new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https',
  })
  return c.json({ user: name })
})
app.delete('/session', (c) => {
  const token = sessionToken(c.req.header('cookie'))
  if (token) sessions.delete(token)
  setCookie(c, 'session', '', { path: '/', maxAge: 0 })
  return c.body(null, 204)
})
// Ferry's routes: the tus endpoint, its file API (with the processing events) and health. Its
// /metrics is left out: serve it on an internal port, or behind your own access check.
// `ferry.app.fetch`, not `ferry.fetch`: the whole app is counted for the shutdown below.
for (const route of ['/files', '/files/*', '/api/files', '/api/files/*', '/healthz']) {
  app.all(route, (c) => ferry.app.fetch(c.req.raw, c.env))
}
app.use('/*', serveStatic({ root: appDirectory }))

// Every request counts for the graceful shutdown, the app's own too.
const server = serve({ fetch: ferry.drain.wrap(app.fetch), port: config.port, hostname: config.host }, (info) => {
  logger.info(`self-hosted Ferry on http://${config.host}:${info.port}`)
})
await ferry.start()
startup.release(
  createGracefulShutdown({ server, drain: ferry.drain, graceMs: config.shutdownGraceMs, logger, close: ferry.close }),
)
