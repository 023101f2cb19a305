import type { Logger } from 'pino'

const SIGNALS = ['SIGTERM', 'SIGINT'] as const

export interface StartupSignalsOptions {
  /** How long a start-up that got a stop signal may still take before the process exits 1. */
  graceMs: number
  logger: Logger
  /** @default process.exit */
  exit?: (code: number) => void
}

export interface StartupSignals {
  /**
   * Start-up is done: signals go to `handler` from now on, and one held meanwhile goes there now,
   * with when it arrived (its grace counts from then, not from the end of start-up).
   */
  release(handler: (signal: string, held?: { receivedAt: number }) => void): void
}

/**
 * Holds SIGTERM and SIGINT that arrive while the server starts. Node's default would end the
 * process wherever start-up stood (a queue half recovered, a webhook outbox half read); held, the
 * signal is handed to the graceful shutdown once there is one. A start-up that has not finished
 * `graceMs` after the signal (a bucket or Redis that never answers) exits 1, and so does a second
 * signal.
 */
export function holdSignalsDuringStartup({ graceMs, logger, exit = (code) => process.exit(code) }: StartupSignalsOptions): StartupSignals {
  let held: string | undefined
  let heldAt = 0
  let giveUp: NodeJS.Timeout | undefined
  const hold = (signal: string) => {
    if (held !== undefined) {
      logger.warn({ signal }, 'second signal during start-up: exiting now')
      exit(1)
      return
    }
    held = signal
    heldAt = Date.now()
    logger.info({ signal, graceMs }, 'signal during start-up: shutting down once started')
    giveUp = setTimeout(() => {
      logger.warn({ signal, graceMs }, 'start-up did not finish within the shutdown grace: exiting')
      exit(1)
    }, graceMs)
  }
  let route: (signal: string) => void = hold
  // One listener per signal for the life of the process, never swapped: removing a signal's last
  // listener stops Node's watcher for it, and a signal already caught but not yet dispatched is
  // then dropped, so a stop sent as start-up ended was lost and the process ran on.
  // Only the name: Node passes the signal's number second, which is no `held`.
  for (const signal of SIGNALS) process.on(signal, (name: string) => route(name))
  return {
    release(handler) {
      // A second signal reaches the handler too, which then exits at once.
      route = (name) => handler(name)
      clearTimeout(giveUp)
      if (held !== undefined) handler(held, { receivedAt: heldAt })
    },
  }
}
