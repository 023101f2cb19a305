import { WebhookError } from './errors.js'
import type { BackoffOptions, WebhookDispatcherOptions } from './types.js'

/** Defaults of `createWebhookDispatcher`'s optional options. */
export const defaultWebhookDispatcherOptions = {
  backoff: { baseMs: 1000, maxMs: 600_000 },
  requestTimeoutMs: 10_000,
  concurrency: 4,
  receiverConcurrency: 2,
  closeGraceMs: 10_000,
  now: Date.now,
} satisfies Partial<WebhookDispatcherOptions>

export type ResolvedDispatcherOptions = Required<Omit<WebhookDispatcherOptions, 'backoff'>> & {
  backoff: BackoffOptions
}

/**
 * Merges `options` over `defaultWebhookDispatcherOptions` and rejects values the dispatcher
 * could not honour, naming the option and the value.
 * @example
 * const settings = resolveDispatcherOptions({ documents, urls, secret, attempts: 8, logger })
 */
export function resolveDispatcherOptions(
  options: WebhookDispatcherOptions,
): ResolvedDispatcherOptions {
  const resolved: ResolvedDispatcherOptions = {
    ...defaultWebhookDispatcherOptions,
    // Read when a request is made, not now: no work at import time, and late polyfills still count.
    fetch: (input, init) => globalThis.fetch(input, init),
    ...options,
    backoff: { ...defaultWebhookDispatcherOptions.backoff, ...options.backoff },
  }
  const integers: Array<[string, number, number]> = [
    ['attempts', resolved.attempts, 1],
    ['backoff.baseMs', resolved.backoff.baseMs, 0],
    ['backoff.maxMs', resolved.backoff.maxMs, 0],
    ['requestTimeoutMs', resolved.requestTimeoutMs, 1],
    ['concurrency', resolved.concurrency, 1],
    ['receiverConcurrency', resolved.receiverConcurrency, 1],
    ['closeGraceMs', resolved.closeGraceMs, 0],
  ]
  for (const [name, value, min] of integers) {
    if (!Number.isSafeInteger(value) || value < min) {
      fail(`webhook option ${name} must be an integer of at least ${min}, got ${String(value)}`)
    }
  }
  for (const url of resolved.urls) {
    if (!/^https?:\/\/[^/]/.test(url)) fail(`webhook urls must be http(s) URLs, got "${url}"`)
  }
  if (resolved.urls.length > 0 && !resolved.secret) {
    fail('a webhook secret is required to sign deliveries')
  }
  return resolved
}

function fail(message: string): never {
  throw new WebhookError('invalid-options', message)
}
