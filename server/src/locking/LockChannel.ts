import type { Redis } from 'ioredis'

export interface LockChannelOptions {
  /** The connection it publishes on; a duplicate of it subscribes. */
  redis: Redis
  /** Prefix of both channel names. */
  prefix: string
  /** A lock was released somewhere: wake a waiter for it here. */
  onReleased: (id: string) => void
  /** A waiter somewhere asks the holder with this token to let go. */
  onReleaseRequested: (id: string, token: string) => void
  onError: (error: Error) => void
}

/**
 * The two announcements lock holders and waiters exchange across instances, on two Redis
 * pub/sub channels shared by every lock (one subscription per instance, not one per upload):
 * `<prefix>released` carries an upload id, `<prefix>release-requested` an id and the token
 * of the holder asked to let go. ioredis subscribes again by itself after a reconnect; a message
 * lost meanwhile costs a waiter one fallback poll.
 */
export class LockChannel {
  readonly releasedChannel: string
  readonly requestChannel: string
  readonly #options: LockChannelOptions
  #subscriber: Redis | undefined
  #subscribed: Promise<void> | undefined

  constructor(options: LockChannelOptions) {
    this.#options = options
    this.releasedChannel = `${options.prefix}released`
    this.requestChannel = `${options.prefix}release-requested`
  }

  /** Subscribes on first use; resolves once announcements are being received. */
  ready(): Promise<void> {
    this.#subscribed ??= this.#subscribe().catch((error: unknown) => {
      this.#subscribed = undefined
      throw error
    })
    return this.#subscribed
  }

  /** Asks the holder with `token`, in whichever instance it runs, to let go of `id`. */
  async requestRelease(id: string, token: string): Promise<void> {
    await this.#options.redis.publish(this.requestChannel, JSON.stringify([id, token]))
  }

  async close(): Promise<void> {
    const subscriber = this.#subscriber
    this.#subscriber = undefined
    this.#subscribed = undefined
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect())
  }

  async #subscribe(): Promise<void> {
    this.#subscriber ??= this.#createSubscriber()
    await this.#subscriber.subscribe(this.releasedChannel, this.requestChannel)
  }

  #createSubscriber(): Redis {
    const { redis, onReleased, onReleaseRequested, onError } = this.#options
    const subscriber = redis.duplicate()
    subscriber.on('error', onError)
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.releasedChannel) return onReleased(message)
      if (channel !== this.requestChannel) return
      const [id, token] = parseRequest(message)
      if (id !== undefined && token !== undefined) onReleaseRequested(id, token)
    })
    return subscriber
  }
}

/** `[id, token]` from a release request; nothing from anything else on the channel. */
function parseRequest(message: string): [string?, string?] {
  try {
    const request: unknown = JSON.parse(message)
    if (Array.isArray(request) && typeof request[0] === 'string' && typeof request[1] === 'string') {
      return [request[0], request[1]]
    }
  } catch {
    // Not ours: ignored.
  }
  return []
}
