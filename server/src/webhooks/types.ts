import type { Logger } from 'pino'
import type { DocumentStore } from '../storage/types.js'

/** A delivery still to be made: one event for one receiver, at `webhooks/outbox/<id>.json`. */
export interface WebhookDelivery {
  /** Also the body's `id` and the `Ferry-Webhook-Id` header; the same on every retry. */
  id: string
  url: string
  event: string
  /** The exact JSON text POSTed, `{ id, event, createdAt, data }`; signed as is. */
  body: string
  /** Attempts made so far. */
  attempts: number
  /** ISO 8601; when the next attempt is due. */
  nextAttemptAt: string
  /** ISO 8601. */
  createdAt: string
  /** Why the last attempt failed. */
  lastError?: string
}

/** How a delivery ended, at `webhooks/log/<id>.json`. */
export interface DeliveryLogEntry {
  id: string
  url: string
  event: string
  status: 'delivered' | 'failed'
  /** Attempts made, the successful one included. */
  attempts: number
  /** ISO 8601. */
  createdAt: string
  /** ISO 8601; set when `status` is `'delivered'`. */
  deliveredAt?: string
  /** ISO 8601; set when `status` is `'failed'`. */
  failedAt?: string
  /** The HTTP status of the last answer, when there was one. */
  responseStatus?: number
  lastError?: string
}

/** Exponential backoff with full jitter: attempt n waits a random time up to `baseMs * 2^(n-1)`. */
export interface BackoffOptions {
  /** @default 1000 */
  baseMs: number
  /** @default 600000 (ten minutes) */
  maxMs: number
}

export interface WebhookDispatcherOptions {
  /** Where the outbox and the delivery log live; the same store as the uploads. */
  documents: DocumentStore
  /** The receivers; every event goes to each. */
  urls: string[]
  /** Key of the `Ferry-Webhook-Signature` HMAC. */
  secret: string
  /** Attempts per delivery, the first included, before it is given up. */
  attempts: number
  logger: Logger
  /**
   * For a scripted fault only; tests use a real receiver.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch
  /** @default { baseMs: 1000, maxMs: 600000 } */
  backoff?: Partial<BackoffOptions>
  /**
   * An attempt that has no answer after this long fails.
   * @default 10000
   */
  requestTimeoutMs?: number
  /**
   * Attempts in flight at once, across receivers.
   * @default 4
   */
  concurrency?: number
  /**
   * Attempts in flight at once to one receiver, so a receiver that hangs cannot take every slot.
   * @default 2
   */
  receiverConcurrency?: number
  /**
   * How long `close()` waits for attempts in flight before it aborts them.
   * @default 10000
   */
  closeGraceMs?: number
  /**
   * The clock, in milliseconds since the epoch; for timestamps and due times.
   * @default Date.now
   */
  now?: () => number
}

/** Durable, signed, retried webhook deliveries; see `createWebhookDispatcher`. */
export interface WebhookDispatcher {
  /**
   * Writes one delivery per receiver to the outbox and attempts it at once (once started). Resolves
   * when the outbox is written, never waiting for a receiver; rejects only when the store fails or
   * `payload` is not JSON-serialisable.
   */
  enqueue(event: string, payload: unknown): Promise<void>
  /** Loads the outbox (deliveries left by a restart) and starts delivering; idempotent. */
  start(): Promise<void>
  /** Stops scheduling and waits, at most `closeGraceMs`, for attempts in flight. */
  close(): Promise<void>
  /** Every finished delivery, delivered or failed, oldest first. */
  log(): Promise<DeliveryLogEntry[]>
}
