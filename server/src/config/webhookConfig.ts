import type { HookName } from '../hooks/types.js'
import type { EnvironmentReaders } from './environmentReaders.js'

export type WebhookEvent = Exclude<HookName, 'pre-create' | 'pre-finish'>

export interface WebhookConfig {
  /** Receivers of a JSON POST per event; none disables webhooks. */
  urls: string[]
  /** Key of the `HMAC-SHA256` signature; required when `urls` is set. */
  secret: string
  events: WebhookEvent[]
  /** Deliveries tried per receiver before one is given up (and logged as such). */
  attempts: number
}

export const WEBHOOK_EVENTS: readonly WebhookEvent[] = [
  'post-create',
  'post-receive',
  'post-finish',
  'post-terminate',
  'post-process',
]
const DEFAULT_EVENTS: WebhookEvent[] = ['post-create', 'post-finish', 'post-terminate', 'post-process']

/** The webhook variables (`FERRY_WEBHOOK_URLS`, `FERRY_WEBHOOK_SECRET`, …). */
export function loadWebhookConfig(read: EnvironmentReaders, problems: string[]): WebhookConfig {
  const urls = read.list('FERRY_WEBHOOK_URLS', [])
  for (const url of urls) {
    if (!/^https?:\/\/[^/]/.test(url)) problems.push(`FERRY_WEBHOOK_URLS must list http(s) URLs, got "${url}"`)
  }
  const secret = urls.length > 0 ? read.required('FERRY_WEBHOOK_SECRET', 'with FERRY_WEBHOOK_URLS') : ''
  if (secret && secret.length < 16) problems.push('FERRY_WEBHOOK_SECRET must be at least 16 characters')
  const events = read.list('FERRY_WEBHOOK_EVENTS', DEFAULT_EVENTS)
  const unknown = events.find((event) => !(WEBHOOK_EVENTS as readonly string[]).includes(event))
  if (unknown) problems.push(`FERRY_WEBHOOK_EVENTS may list ${WEBHOOK_EVENTS.join(', ')}, got "${unknown}"`)
  return {
    urls,
    secret,
    events: events as WebhookEvent[],
    attempts: read.integer('FERRY_WEBHOOK_ATTEMPTS', 8, { min: 1, max: 50 }),
  }
}
