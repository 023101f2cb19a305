import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils'

export interface FerryMemoryLockerOptions {
  /** Milliseconds a request waits for a lock before giving up. @default 30000 */
  acquireLockTimeout?: number
}

/**
 * An in-process tus locker that waits without polling. @tus/server's MemoryLocker retries with
 * `setImmediate` while the lock is held, building a chain of promises that grew memory by about
 * 250 MiB/s per waiter; this one asks the holder to release once and sleeps in a queue until
 * `unlock()` wakes the next waiter. For several server processes, locks need a shared store
 * (Redis) instead.
 */
export class FerryMemoryLocker implements Locker {
  /** Who holds each lock: the callback that asks it to let go. */
  readonly holders = new Map<string, RequestRelease>()
  /** Who waits for each lock, in arrival order. */
  readonly queues = new Map<string, (() => void)[]>()
  readonly timeout: number

  constructor(options: FerryMemoryLockerOptions = {}) {
    this.timeout = options.acquireLockTimeout ?? 30_000
  }

  newLock(id: string): Lock {
    return new FerryMemoryLock(id, this)
  }

  /** Sleeps until the lock is handed over, the deadline passes or the request is stopped. */
  wait(id: string, signal: AbortSignal, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const queue = this.queues.get(id) ?? []
      this.queues.set(id, queue)
      const wake = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', leave)
        resolve()
      }
      const leave = () => {
        const index = queue.indexOf(wake)
        if (index >= 0) queue.splice(index, 1)
        if (queue.length === 0 && this.queues.get(id) === queue) this.queues.delete(id)
        wake()
      }
      const timer = setTimeout(leave, Math.max(0, timeoutMs))
      signal.addEventListener('abort', leave, { once: true })
      queue.push(wake)
    })
  }

  /** Releases a lock and wakes the longest waiter. */
  release(id: string): void {
    this.holders.delete(id)
    const queue = this.queues.get(id)
    const next = queue?.shift()
    if (queue?.length === 0) this.queues.delete(id)
    next?.()
  }
}

class FerryMemoryLock implements Lock {
  #held = false

  constructor(
    readonly id: string,
    readonly locker: FerryMemoryLocker,
  ) {}

  async lock(stopSignal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const deadline = Date.now() + this.locker.timeout
    for (;;) {
      const holder = this.locker.holders.get(this.id)
      if (!holder) {
        this.locker.holders.set(this.id, requestRelease)
        this.#held = true
        return
      }
      if (stopSignal.aborted || Date.now() >= deadline) throw ERRORS.ERR_LOCK_TIMEOUT
      // The newer request wins, as in @tus/server: the holder is asked once to finish up.
      await holder()
      await this.locker.wait(this.id, stopSignal, deadline - Date.now())
    }
  }

  async unlock(): Promise<void> {
    if (!this.#held) throw new Error('ferry-server: releasing a lock that is not held')
    this.#held = false
    this.locker.release(this.id)
  }
}
