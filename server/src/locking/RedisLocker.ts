import { randomUUID } from 'node:crypto'
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils'
import type { Redis } from 'ioredis'
import { LockChannel } from './LockChannel.js'
import { LockWaiters } from './LockWaiters.js'
import { coordinationUnavailable } from './coordinationUnavailable.js'
import { acquireLock, releaseLock, renewLock } from './lockScripts.js'

/** Options of `RedisLocker`. */
export interface RedisLockerOptions {
  /** The connection for commands; the locker subscribes on a duplicate of it. */
  redis: Redis
  /**
   * Milliseconds a request waits for a lock before giving up (as FerryMemoryLocker).
   * @default 30000
   */
  acquireLockTimeout: number
  /**
   * Lease of a lock in Redis, renewed every third of it while held: how long a lock outlives an
   * instance that died holding it.
   * @default 10000
   */
  leaseMs: number
  /**
   * Longest sleep between two attempts of a waiter. Releases are announced over pub/sub; this
   * poll only covers an announcement lost while the subscriber reconnected.
   * @default 1000
   */
  pollIntervalMs: number
  /**
   * Prefix of the lock keys (`<prefix>lock:<upload id>`) and of the two pub/sub channels.
   * @default 'ferry:'
   */
  prefix: string
  /** Told about lost leases and pub/sub errors. @default nothing */
  onWarning: (message: string, details: Record<string, unknown>) => void
}

/** Defaults of `RedisLocker`. */
export const defaultRedisLockerOptions: Omit<RedisLockerOptions, 'redis'> = {
  acquireLockTimeout: 30_000,
  leaseMs: 10_000,
  pollIntervalMs: 1_000,
  prefix: 'ferry:',
  onWarning: () => {},
}

interface Holder {
  token: string
  requestRelease: RequestRelease
}

/**
 * Design note: the tus upload locks of several server instances, in one Redis. A lock is a key
 * set with `SET NX PX` to a random token, its lease renewed while held and deleted by a script
 * only while it still holds that token, so a holder whose lease ran out cannot free a lock that
 * has since passed on. Semantics are FerryMemoryLocker's: the newer request asks the holder to
 * let go (through its `requestRelease`, in whichever instance it runs, over pub/sub), then sleeps
 * until a release is announced, the lease would have run out, or a bounded poll; it gives up at
 * `acquireLockTimeout` or when its request stops. Waiting costs no Redis traffic but that poll,
 * and memory is one waiter and one timer per waiting request.
 *
 * @example
 * const locker = new RedisLocker({ redis: new Redis(process.env.FERRY_REDIS_URL) })
 * new Server({ path: '/files', datastore, locker })
 * // at shutdown, once requests have finished:
 * await locker.close()
 */
export class RedisLocker implements Locker {
  readonly options: RedisLockerOptions
  /** Locks held by requests of this instance, by upload id. */
  readonly holders = new Map<string, Holder>()
  readonly waiters = new LockWaiters()
  readonly channel: LockChannel

  constructor(options: Partial<RedisLockerOptions> & Pick<RedisLockerOptions, 'redis'>) {
    this.options = { ...defaultRedisLockerOptions, ...options }
    const { redis, prefix, onWarning } = this.options
    this.channel = new LockChannel({
      redis,
      prefix,
      onReleased: (id) => this.waiters.wakeFirst(id),
      onReleaseRequested: (id, token) => {
        const holder = this.holders.get(id)
        if (holder?.token === token) void this.#askHolder(holder, id)
      },
      onError: (error) => onWarning('lock pub/sub connection error', { err: error }),
    })
  }

  newLock(id: string): Lock {
    return new RedisLock(id, this)
  }

  keyOf(id: string): string {
    return `${this.options.prefix}lock:${id}`
  }

  /** Asks the holder with `token` to let go: directly when it is here, else over pub/sub. */
  async requestRelease(id: string, token: string): Promise<void> {
    const local = this.holders.get(id)
    if (local?.token === token) return this.#askHolder(local, id)
    await this.channel.requestRelease(id, token)
  }

  /** Stops listening for announcements. The Redis connection passed in stays open. */
  close(): Promise<void> {
    return this.channel.close()
  }

  async #askHolder(holder: Holder, id: string): Promise<void> {
    try {
      await holder.requestRelease()
    } catch (error) {
      this.options.onWarning('asking a lock holder to let go failed', { uploadId: id, err: error })
    }
  }
}

class RedisLock implements Lock {
  readonly #token = randomUUID()
  #renewal: NodeJS.Timeout | undefined

  constructor(
    readonly id: string,
    readonly locker: RedisLocker,
  ) {}

  async lock(stopSignal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    if (this.#renewal) throw new Error('ferry-server: taking a lock that is already held')
    const { redis, acquireLockTimeout, leaseMs, pollIntervalMs } = this.locker.options
    const deadline = Date.now() + acquireLockTimeout
    await this.locker.channel.ready()
    // In the queue from the first attempt on, so a release announced mid-attempt is not missed.
    const { waiter, leave } = this.locker.waiters.join(this.id)
    let asked: string | undefined
    try {
      for (;;) {
        const [taken, holder = '', leaseLeft = -1] = (await acquireLock
          .run(redis, [this.locker.keyOf(this.id)], [this.#token, leaseMs])
          .catch((error: unknown) => {
            throw coordinationUnavailable(error)
          })) as [number, string?, number?]
        if (taken === 1) {
          this.locker.holders.set(this.id, { token: this.#token, requestRelease })
          this.#renewal = setInterval(() => void this.#renew(requestRelease), leaseMs / 3)
          this.#renewal.unref()
          return
        }
        if (stopSignal.aborted || Date.now() >= deadline) throw ERRORS.ERR_LOCK_TIMEOUT
        // The newer request wins, as in @tus/server: each holder is asked once to finish up.
        if (holder !== asked) {
          asked = holder
          await this.locker.requestRelease(this.id, holder)
        }
        // Wake when the holder's lease would run out too: it may have died without releasing.
        const untilExpiry = leaseLeft > 0 ? leaseLeft + 1 : pollIntervalMs
        await waiter.sleep(Math.min(deadline - Date.now(), pollIntervalMs, untilExpiry), stopSignal)
      }
    } finally {
      leave()
    }
  }

  async unlock(): Promise<void> {
    if (!this.#renewal) throw new Error('ferry-server: releasing a lock that is not held')
    clearInterval(this.#renewal)
    this.#renewal = undefined
    if (this.locker.holders.get(this.id)?.token === this.#token) this.locker.holders.delete(this.id)
    const { redis, onWarning } = this.locker.options
    try {
      await releaseLock.run(redis, [this.locker.keyOf(this.id)], [this.#token, this.locker.channel.releasedChannel, this.id])
    } catch (error) {
      // The request's work is done and answered; an unreleased lock frees itself with its lease.
      onWarning('releasing an upload lock failed; its lease will free it', { uploadId: this.id, err: error })
    }
  }

  /** Extends the lease; a lease found lost means another request may be writing: stop this one. */
  async #renew(requestRelease: RequestRelease): Promise<void> {
    const { redis, leaseMs, onWarning } = this.locker.options
    try {
      const renewed = await renewLock.run(redis, [this.locker.keyOf(this.id)], [this.#token, leaseMs])
      if (renewed === 1 || !this.#renewal) return
      clearInterval(this.#renewal)
      onWarning('an upload lock expired while held; stopping its request', { uploadId: this.id })
      await requestRelease()
    } catch (error) {
      // The next renewal retries; the lease outlasts two missed ones.
      onWarning('renewing an upload lock failed', { uploadId: this.id, err: error })
    }
  }
}
