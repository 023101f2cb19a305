export interface StallWatchdogOptions {
  /** Milliseconds without acknowledged bytes before `onStall`. */
  timeout: number
  onStall: () => void
}

/**
 * Notices an upload whose bytes stop moving: a connection that hangs without failing would
 * otherwise wait for the browser's own timeout, minutes away. `touch()` on every progress.
 */
export class StallWatchdog {
  readonly #options: StallWatchdogOptions
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(options: StallWatchdogOptions) {
    this.#options = options
  }

  /** Starts the wait again; `grace` adds time in which no bytes are expected (a retry's delay). */
  touch(grace = 0): void {
    this.stop()
    if (this.#options.timeout <= 0) return
    this.#timer = setTimeout(this.#options.onStall, this.#options.timeout + grace)
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
