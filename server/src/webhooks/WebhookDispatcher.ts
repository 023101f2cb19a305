/*
 * Design: the outbox in the DocumentStore is the truth and `pending` mirrors it in memory, so a
 * restart loses nothing: `start()` reads the outbox back. One unref'd timer points at the earliest
 * delivery not yet due; deliveries already due but held back by a concurrency limit start when an
 * attempt in flight settles. Each delivery has its own backoff and a receiver may hold at most
 * `receiverConcurrency` slots, so a receiver that is down or hangs does not hold up the others.
 * Delivery is at least once: a crash between a receiver's answer and the bookkeeping repeats it.
 */
import { randomUUID } from 'node:crypto'
import { settleWithin } from '../processing/queue/settleWithin.js'
import { backoffDelay } from './backoff.js'
import { logPath, outboxPath, readLog, readOutbox } from './deliveryDocuments.js'
import { WebhookError } from './errors.js'
import { postDelivery } from './postDelivery.js'
import { resolveDispatcherOptions } from './resolveDispatcherOptions.js'
import type {
  DeliveryLogEntry,
  WebhookDelivery,
  WebhookDispatcher,
  WebhookDispatcherOptions,
} from './types.js'

/** setTimeout's longest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647
/** After the grace period, how long `close()` waits for aborted attempts to settle. */
const ABORT_SETTLE_MS = 1000

/**
 * Sends events to webhook receivers as tusd's HTTP hooks do, but durably: each event becomes one
 * outbox document per receiver, POSTed as signed JSON (see `verifyWebhookSignature`) and retried
 * with exponential backoff until a 2xx answer or `attempts` attempts; either way it ends in the
 * delivery log. A receiver that is down never slows or fails the upload that caused the event.
 * @example
 * const dispatcher = createWebhookDispatcher({
 *   documents: backend.documents,
 *   urls: ['https://example.com/ferry-hooks'],
 *   secret: config.webhooks.secret,
 *   attempts: 8,
 *   logger,
 * })
 * await dispatcher.start()
 * await dispatcher.enqueue('post-finish', { file })
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const settings = resolveDispatcherOptions(options)
  const { documents, logger, now } = settings
  const pending = new Map<string, WebhookDelivery>()
  const inFlight = new Map<string, { url: string; run: Promise<void> }>()
  const closing = new AbortController()
  let state: 'idle' | 'running' | 'closed' = 'idle'
  let timer: NodeJS.Timeout | undefined
  let started: Promise<void> | undefined
  let closed: Promise<void> | undefined
  // Ids enqueued before the outbox is loaded: start() must not revive one that was delivered and
  // removed while it was reading. Dropped once loaded, so it does not grow.
  let enqueuedBeforeLoad: Set<string> | undefined = new Set()

  const dueAt = (delivery: WebhookDelivery) => Date.parse(delivery.nextAttemptAt) || 0
  const isoNow = (offsetMs = 0) => new Date(now() + offsetMs).toISOString()

  function schedule(): void {
    clearTimeout(timer)
    timer = undefined
    if (state !== 'running') return
    startDue()
    const time = now()
    let next = Number.POSITIVE_INFINITY
    for (const delivery of pending.values()) {
      const due = dueAt(delivery)
      if (!inFlight.has(delivery.id) && due > time) next = Math.min(next, due)
    }
    if (next === Number.POSITIVE_INFINITY) return
    timer = setTimeout(schedule, Math.min(next - time, MAX_TIMER_MS)).unref()
  }

  function startDue(): void {
    const time = now()
    const perReceiver = new Map<string, number>()
    for (const { url } of inFlight.values()) perReceiver.set(url, (perReceiver.get(url) ?? 0) + 1)
    const due = [...pending.values()]
      .filter((delivery) => !inFlight.has(delivery.id) && dueAt(delivery) <= time)
      .sort((a, b) => dueAt(a) - dueAt(b))
    for (const delivery of due) {
      if (inFlight.size >= settings.concurrency) return
      const count = perReceiver.get(delivery.url) ?? 0
      if (count >= settings.receiverConcurrency) continue
      perReceiver.set(delivery.url, count + 1)
      const run = attempt(delivery)
        .catch((error: unknown) => {
          logger.error({ err: error, delivery: delivery.id }, 'webhook bookkeeping failed')
        })
        .finally(() => {
          inFlight.delete(delivery.id)
          schedule()
        })
      inFlight.set(delivery.id, { url: delivery.url, run })
    }
  }

  async function attempt(delivery: WebhookDelivery): Promise<void> {
    const attempts = delivery.attempts + 1
    const context = { delivery: delivery.id, url: delivery.url, event: delivery.event, attempts }
    logger.debug(context, 'webhook attempt')
    const outcome = await postDelivery({
      delivery,
      secret: settings.secret,
      fetch: settings.fetch,
      timeoutMs: settings.requestTimeoutMs,
      signal: closing.signal,
      now,
    })
    // Cut short by close(): not the receiver's fault, so it stays in the outbox uncounted.
    if (!outcome.ok && closing.signal.aborted) return
    const { id, url, event, createdAt } = delivery
    const entry = { id, url, event, createdAt, attempts }
    if (outcome.ok) {
      const deliveredAt = isoNow()
      await finish({ ...entry, status: 'delivered', deliveredAt, responseStatus: outcome.status })
      logger.info({ ...context, status: outcome.status }, 'webhook delivered')
      return
    }
    const { error, status } = outcome
    if (attempts >= settings.attempts) {
      await finish({
        ...entry,
        status: 'failed',
        failedAt: isoNow(),
        responseStatus: status,
        lastError: error,
      })
      logger.warn({ ...context, status, error }, 'webhook delivery given up')
      return
    }
    const retryInMs = backoffDelay({ attempt: attempts, ...settings.backoff })
    const retry = { ...delivery, attempts, nextAttemptAt: isoNow(retryInMs), lastError: error }
    // Memory first: if the store write fails, this process still retries on schedule.
    pending.set(delivery.id, retry)
    logger.info({ ...context, status, error, retryInMs }, 'webhook attempt failed')
    await documents.put(outboxPath(delivery.id), retry)
  }

  async function finish(entry: DeliveryLogEntry): Promise<void> {
    pending.delete(entry.id)
    // Log first, then clear the outbox: a crash in between repeats a delivery rather than lose one.
    await documents.put(logPath(entry.id), entry)
    await documents.delete(outboxPath(entry.id))
  }

  return {
    async enqueue(event, payload) {
      const createdAt = isoNow()
      const deliveries = settings.urls.map((url): WebhookDelivery => {
        const id = randomUUID()
        const body = serialise({ id, event, createdAt, data: payload }, event)
        enqueuedBeforeLoad?.add(id)
        return { id, url, event, body, attempts: 0, nextAttemptAt: createdAt, createdAt }
      })
      const writes = await Promise.allSettled(
        deliveries.map((delivery) => documents.put(outboxPath(delivery.id), delivery)),
      )
      deliveries.forEach((delivery, index) => {
        if (writes[index]?.status === 'fulfilled') pending.set(delivery.id, delivery)
      })
      logger.debug({ event, deliveries: deliveries.length }, 'webhook queued')
      schedule()
      const failure = writes.find((write) => write.status === 'rejected')
      if (failure) throw failure.reason
    },
    start() {
      started ??= (async () => {
        if (state === 'closed') return
        state = 'running'
        const stored = await readOutbox(documents)
        for (const delivery of stored) {
          if (!enqueuedBeforeLoad?.has(delivery.id)) pending.set(delivery.id, delivery)
        }
        enqueuedBeforeLoad = undefined
        if (stored.length > 0) logger.info({ deliveries: stored.length }, 'webhook outbox resumed')
        schedule()
      })().catch((error: unknown) => {
        started = undefined
        throw error
      })
      return started
    },
    close() {
      closed ??= (async () => {
        state = 'closed'
        clearTimeout(timer)
        const runs = () => [...inFlight.values()].map(({ run }) => run)
        await settleWithin(runs(), settings.closeGraceMs)
        closing.abort()
        await settleWithin(runs(), ABORT_SETTLE_MS)
      })()
      return closed
    },
    log: () => readLog(documents),
  }
}

function serialise(envelope: object, event: string): string {
  try {
    return JSON.stringify(envelope)
  } catch (error) {
    throw new WebhookError('invalid-payload', `the payload of ${event} is not JSON-serialisable`, {
      cause: error,
    })
  }
}
