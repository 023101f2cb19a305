import type { WebhookEvent } from '../config/webhookConfig.js'
import type { FerryHooks, HookEvents } from '../hooks/types.js'
import { toJsonSafe } from './toJsonSafe.js'
import type { WebhookDispatcher } from './types.js'

export interface WebhookHooksOptions {
  /** Where the events go; only `enqueue` is used. */
  dispatcher: Pick<WebhookDispatcher, 'enqueue'>
  /** The events sent to receivers (`FERRY_WEBHOOK_EVENTS`); the others get no hook. */
  events: readonly WebhookEvent[]
}

/**
 * The hooks that turn upload events into webhook deliveries: one `post-*` hook per event in
 * `events`, each handing its payload to `dispatcher.enqueue`. A hook resolves once the delivery is
 * in the outbox, not when a receiver has it, so uploads never wait on a receiver. Combine them
 * with the app's own hooks using `combineHooks`.
 * @example
 * const webhookHooks = createWebhookHooks({ dispatcher, events: config.webhooks.events })
 * const hooks = combineHooks(appHooks, webhookHooks)
 */
export function createWebhookHooks({ dispatcher, events }: WebhookHooksOptions): FerryHooks {
  const hooks: FerryHooks = {}
  for (const event of new Set(events)) {
    // Payloads are meant to be plain data already; the copy keeps a stray stream, request or
    // bigint from failing the whole delivery.
    const handler = (payload: HookEvents[typeof event]) =>
      dispatcher.enqueue(event, toJsonSafe(payload))
    // One handler serves every event name; TypeScript cannot pair the name with its payload here.
    hooks[event] = handler as never
  }
  return hooks
}
