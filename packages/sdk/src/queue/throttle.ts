export interface Throttle {
  /** Asks for a run: soon if none happened lately, else once the interval is over. */
  request(): void
  /** Runs now if a run was asked for and has not happened, and stops the timer. */
  flush(): void
}

/**
 * Calls `run` at most once per `interval` milliseconds however often `request()` is called, and
 * never synchronously inside `request()`: a thousand files reporting progress cost listeners
 * a handful of calls a second. Timer-driven rather than clock-driven, so it needs no clock.
 *
 * @example
 * const render = throttle(() => draw(totals), 100)
 * upload.on('progress', () => render.request())
 */
export function throttle(run: () => void, interval: number): Throttle {
  let timer: ReturnType<typeof setTimeout> | undefined
  let requested = false

  const tick = (): void => {
    timer = undefined
    if (!requested) return
    requested = false
    // Cool down before the next run; a request meanwhile is served when this timer fires.
    timer = setTimeout(tick, interval)
    run()
  }

  return {
    request() {
      requested = true
      timer ??= setTimeout(tick, 0)
    },
    flush() {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      if (!requested) return
      requested = false
      run()
    },
  }
}
