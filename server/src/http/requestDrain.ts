import type { Server } from 'node:http'
import type { Http2Bindings, HttpBindings } from '@hono/node-server'
import { ERROR_CODES } from '@ferry/protocol'
import { FerryHttpError } from '../errors.js'
import { settleWithin } from '../processing/queue/settleWithin.js'

/**
 * `env` is @hono/node-server's `{ incoming, outgoing }` (an outer Hono app's `c.env`). Without it
 * (`app.request()` in a test, another runtime) requests are still counted, but connections are
 * not closed after them while draining, and checks that read the raw request (duplicate headers,
 * checksum trailers) cannot run.
 */
type Fetch = (request: Request, env?: HttpBindings | Http2Bindings) => Response | Promise<Response>

/** Requests that write (PATCH, and POST that may carry the first bytes): refused once draining. */
const WRITES = new Set(['PATCH', 'POST'])

export interface RequestDrainOptions {
  /** Headers of the 503 answer (CORS, `Tus-Resumable`), by the request's Origin. */
  errorHeaders?: (origin: string | undefined) => Record<string, string>
  /**
   * What `Retry-After` tells a refused client: short, as another instance can take the upload.
   * @default 1
   */
  retryAfterSeconds?: number
  /** Told of each write refused while draining (the app's metrics never see those requests). */
  onRefused?: (request: Request) => void
}

export interface RequestDrain {
  /** Wraps the app's fetch for `serve()`: counts requests in flight; refuses writes once draining. */
  wrap(fetch: Fetch): Fetch
  /**
   * Stops accepting connections and closes each one as soon as it is idle; resolves once every
   * connection is closed and every request handler has settled.
   */
  drain(server: Server): Promise<void>
  /** Closes every connection now and gives the handlers it cut off `settleMs` to settle. */
  cutOff(server: Server, settleMs: number): Promise<void>
  /** Request handlers still running. */
  readonly inFlight: number
}

/**
 * The HTTP half of a graceful shutdown. Node's `server.close()` stops listening and closes the
 * connections idle at that moment, but a keep-alive connection whose request finishes later stays
 * open until its keep-alive timeout, and a client may still send a new request on it. Once
 * draining, each response closes its connection (`Connection: close`, then closing idle ones as
 * each response ends), and a new PATCH or POST is answered 503 with `Retry-After`, so that it is
 * retried against a server that is staying up.
 *
 * @example
 * const drain = createRequestDrain()
 * const server = serve({ fetch: drain.wrap(app.fetch), port })
 * process.once('SIGTERM', () => void drain.drain(server).then(() => process.exit(0)))
 */
export function createRequestDrain(options: RequestDrainOptions = {}): RequestDrain {
  const running = new Set<Promise<unknown>>()
  let drainingServer: Server | undefined
  const closeIdle = () => setImmediate(() => drainingServer?.closeIdleConnections())

  const refuse = (request: Request) =>
    new FerryHttpError(
      503,
      ERROR_CODES.shuttingDown,
      'this server is shutting down; retry the request',
      { headers: { 'Retry-After': String(options.retryAfterSeconds ?? 1), Connection: 'close' } },
    ).toResponse(options.errorHeaders?.(request.headers.get('origin') ?? undefined))

  return {
    wrap: (fetch) => (request, env) => {
      if (drainingServer) {
        env?.outgoing.setHeader('Connection', 'close')
        if (WRITES.has(request.method)) {
          options.onRefused?.(request)
          return refuse(request)
        }
      }
      env?.outgoing.once('close', () => {
        if (drainingServer) closeIdle()
      })
      const handled = Promise.resolve(fetch(request, env))
      const settled = handled.then(
        () => undefined,
        () => undefined,
      )
      running.add(settled)
      void settled.then(() => running.delete(settled))
      return handled
    },

    async drain(server) {
      drainingServer = server
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      await closed
      while (running.size > 0) await Promise.allSettled([...running])
    },

    async cutOff(server, settleMs) {
      server.closeAllConnections()
      await settleWithin([...running], settleMs)
    },

    get inFlight() {
      return running.size
    },
  }
}
