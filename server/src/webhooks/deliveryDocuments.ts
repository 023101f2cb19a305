import type { DocumentStore } from '../storage/types.js'
import type { DeliveryLogEntry, WebhookDelivery } from './types.js'

const OUTBOX = 'webhooks/outbox/'
const LOG = 'webhooks/log/'

/**
 * Where a pending delivery is kept until it is delivered or given up.
 * @example
 * await documents.put(outboxPath(delivery.id), delivery)
 */
export const outboxPath = (id: string): string => `${OUTBOX}${id}.json`

/**
 * Where a finished delivery is recorded.
 * @example
 * await documents.put(logPath(entry.id), entry)
 */
export const logPath = (id: string): string => `${LOG}${id}.json`

/**
 * Every pending delivery in the store, as left by this or an earlier process. Documents that are
 * not deliveries (a stray file, an older format) are skipped rather than stopping the rest.
 * @example
 * for (const delivery of await readOutbox(documents)) pending.set(delivery.id, delivery)
 */
export async function readOutbox(documents: DocumentStore): Promise<WebhookDelivery[]> {
  const found = await readAll(documents, OUTBOX)
  return found.filter(isDelivery)
}

/**
 * Every finished delivery, oldest finish first.
 * @example
 * const failed = (await readLog(documents)).filter((entry) => entry.status === 'failed')
 */
export async function readLog(documents: DocumentStore): Promise<DeliveryLogEntry[]> {
  const found = await readAll(documents, LOG)
  const finishedAt = (entry: DeliveryLogEntry) => entry.deliveredAt ?? entry.failedAt ?? ''
  return found
    .filter(isLogEntry)
    .sort((a, b) => finishedAt(a).localeCompare(finishedAt(b)) || a.id.localeCompare(b.id))
}

async function readAll(documents: DocumentStore, prefix: string): Promise<unknown[]> {
  const paths = await documents.list(prefix)
  // A document removed between list and get (delivered meanwhile) reads as undefined.
  return Promise.all(paths.map((path) => documents.get<unknown>(path)))
}

function isDelivery(value: unknown): value is WebhookDelivery {
  if (typeof value !== 'object' || value === null) return false
  const { id, url, event, body, attempts, nextAttemptAt } = value as Partial<WebhookDelivery>
  return (
    [id, url, event, body, nextAttemptAt].every((field) => typeof field === 'string') &&
    typeof attempts === 'number'
  )
}

function isLogEntry(value: unknown): value is DeliveryLogEntry {
  if (typeof value !== 'object' || value === null) return false
  const { id, status } = value as Partial<DeliveryLogEntry>
  return typeof id === 'string' && (status === 'delivered' || status === 'failed')
}
