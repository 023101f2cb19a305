/** One request waiting for a lock: asleep between attempts, woken by a release or its timer. */
export interface LockWaiter {
  /**
   * Resolves after `ms`, when the signal aborts, or when `wakeFirst` reaches this waiter, at
   * once if it did so since the last sleep (a release announced while the waiter was asking).
   */
  sleep(ms: number, signal: AbortSignal): Promise<void>
}

interface QueuedWaiter extends LockWaiter {
  wake(): void
}

/**
 * Waiters per lock id, in arrival order. A release wakes only the first, as FerryMemoryLocker
 * hands a lock to its longest waiter; the rest sleep on. Memory is one small object and at most
 * one timer per waiting request, and an id leaves the map with its last waiter.
 */
export class LockWaiters {
  readonly #queues = new Map<string, QueuedWaiter[]>()

  /** Number of ids with waiters (for tests). */
  get size(): number {
    return this.#queues.size
  }

  /** Joins the queue for `id` until `leave` is called. */
  join(id: string): { waiter: LockWaiter; leave: () => void } {
    let pendingWake = false
    let wakeSleeper: (() => void) | undefined
    const waiter: QueuedWaiter = {
      wake() {
        if (wakeSleeper) wakeSleeper()
        else pendingWake = true
      },
      sleep(ms, signal) {
        if (pendingWake || signal.aborted) {
          pendingWake = false
          return Promise.resolve()
        }
        return new Promise((resolve) => {
          const done = () => {
            clearTimeout(timer)
            signal.removeEventListener('abort', done)
            wakeSleeper = undefined
            resolve()
          }
          const timer = setTimeout(done, Math.max(0, ms))
          signal.addEventListener('abort', done, { once: true })
          wakeSleeper = done
        })
      },
    }
    const queue = this.#queues.get(id) ?? []
    this.#queues.set(id, queue)
    queue.push(waiter)
    const leave = () => {
      const index = queue.indexOf(waiter)
      if (index >= 0) queue.splice(index, 1)
      if (queue.length === 0 && this.#queues.get(id) === queue) this.#queues.delete(id)
    }
    return { waiter, leave }
  }

  /** Wakes the longest waiter for `id`, if any. */
  wakeFirst(id: string): void {
    this.#queues.get(id)?.[0]?.wake()
  }
}
