import { performance } from 'node:perf_hooks'

/** A flag shared with worker threads: set while the event loop is busy. */
export interface BusyGate {
  /** Int32 at index 0: 1 while busy, 0 otherwise (`Atomics.notify` when it clears). */
  readonly flag: SharedArrayBuffer
  stop(): void
}

export interface BusyGateOptions {
  /**
   * Share of the last interval the event loop spent working above which it counts as busy.
   * @default 0.5
   */
  threshold?: number
  /** @default 100 */
  intervalMs?: number
}

/**
 * Whether this process's event loop is busy, for background threads to wait on. Thread priority
 * alone does not keep them out of the way here: a nice-19 thread hashing beside the event loop
 * still cost uploads about a tenth of their speed on two virtual cores (measured), the cores
 * being shared below the kernel that applies the priority.
 */
export function createBusyGate({ threshold = 0.5, intervalMs = 100 }: BusyGateOptions = {}): BusyGate {
  const flag = new SharedArrayBuffer(4)
  const view = new Int32Array(flag)
  let last = performance.eventLoopUtilization()
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization()
    const busy = performance.eventLoopUtilization(now, last).utilization > threshold
    last = now
    Atomics.store(view, 0, busy ? 1 : 0)
    if (!busy) Atomics.notify(view, 0)
  }, intervalMs)
  timer.unref()
  return {
    flag,
    stop() {
      clearInterval(timer)
      Atomics.store(view, 0, 0)
      Atomics.notify(view, 0)
    },
  }
}
