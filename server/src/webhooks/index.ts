export { createWebhookHooks, type WebhookHooksOptions } from './createWebhookHooks.js'
export { WebhookError, type WebhookErrorCode } from './errors.js'
export { WEBHOOK_HEADERS } from './postDelivery.js'
export { defaultWebhookDispatcherOptions } from './resolveDispatcherOptions.js'
export {
  defaultVerifyWebhookSignatureOptions,
  signWebhook,
  verifyWebhookSignature,
  type SignWebhookOptions,
  type VerifyWebhookSignatureOptions,
} from './signature.js'
export type {
  BackoffOptions,
  DeliveryLogEntry,
  WebhookDelivery,
  WebhookDispatcher,
  WebhookDispatcherOptions,
} from './types.js'
export { createWebhookDispatcher } from './WebhookDispatcher.js'
