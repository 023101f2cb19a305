import type { Server } from 'node:http'
import type { Logger } from 'pino'
import type { RequestDrain } from './http/requestDrain.js'
import { settleWithin } from './processing/queue/settleWithin.js'

/** What requests cut off at the end of the grace get to settle (write what arrived, unlock). */
const CUT_OFF_SETTLE_MS = 2_000
/**
 * The least time requests in flight, and then closing queues, Redis and webhooks, each get even
 * when the grace is spent (by a start-up that held the signal).
 */
const MIN_STEP_MS = 1_000

export interface GracefulShutdownOptions {
  server: Server
  drain: RequestDrain
  /** How long requests in flight may take to finish; queues and the rest close within it too. */
  graceMs: number
  logger: Logger
  /** Closes what requests used, once they are done: job queues and processing, Redis, webhooks. */
  close: () => Promise<unknown>
  /** @default process.exit */
  exit?: (code: number) => void
}

/**
 * Returns the handler for SIGTERM and SIGINT. The first signal stops accepting connections, lets
 * requests in flight finish (a PATCH stores its bytes and releases its lock), then closes the rest
 * and exits 0. If the grace runs out, the remaining requests are cut off, as a client going away
 * would, and the exit code is 1. A second signal exits at once with 1. The grace counts from
 * `held.receivedAt` when given: a signal held during start-up has already spent part of it. (As a
 * `process.on` listener it is called with the signal's number second, which is not an object.)
 *
 * @example
 * const shutdown = createGracefulShutdown({ server, drain, graceMs: 8000, logger, close })
 * process.on('SIGTERM', () => shutdown('SIGTERM'))
 */
export function createGracefulShutdown(
  options: GracefulShutdownOptions,
): (signal: string, held?: { receivedAt?: number }) => void {
  const { server, drain, graceMs, logger, close, exit = (code) => process.exit(code) } = options
  let started = false

  async function shutDown(signal: string, receivedAt: number): Promise<void> {
    // Held until the exit below, whose code tells how the stop went: once the server is closed and
    // the requests are cut off, nothing else need keep the process alive (the grace timers do not).
    const keepAlive = setInterval(() => {}, 60_000)
    const deadline = receivedAt + graceMs
    const inFlight = drain.inFlight
    logger.info({ signal, graceMs, inFlight }, 'shutting down: finishing requests in flight')
    let drainedNow = false
    await settleWithin([drain.drain(server).then(() => (drainedNow = true))], Math.max(deadline - Date.now(), MIN_STEP_MS))
    // Read once: the drain also completes after a cut-off, which is not finishing in time.
    const drained = drainedNow
    if (!drained) {
      const cut = drain.inFlight
      logger.warn({ inFlight: cut, graceMs }, 'shutdown grace expired: cutting off requests in flight')
      await drain.cutOff(server, CUT_OFF_SETTLE_MS)
    }
    let closed = false
    const closing = close().then(
      () => (closed = true),
      (error: unknown) => logger.warn({ err: error }, 'closing after the requests failed'),
    )
    await settleWithin([closing], Math.max(deadline - Date.now(), MIN_STEP_MS))
    if (!closed) logger.warn('queues and connections did not close in time')
    logger.info({ drained, closed }, 'shut down')
    clearInterval(keepAlive)
    exit(drained && closed ? 0 : 1)
  }

  return (signal, held) => {
    if (started) {
      logger.warn({ signal }, 'second signal: exiting without waiting')
      exit(1)
      return
    }
    started = true
    // `(15)?.receivedAt` is undefined, so a signal number falls back to now like a missing `held`.
    const receivedAt = typeof held?.receivedAt === 'number' ? held.receivedAt : Date.now()
    void shutDown(signal, receivedAt)
  }
}
