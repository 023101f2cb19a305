import type { DetailedError, UploadOptions as TusOptions } from 'tus-js-client'
import { type BackoffOptions, backoffDelay } from '../retry/backoff.js'
import { classifyFailure, type FailureReason } from '../retry/classifyFailure.js'

export interface RetryEvent {
  /** 1 for the first retry. */
  attempt: number
  /** Milliseconds until the retry. */
  delay: number
  reason: FailureReason
  status?: number
  cause: Error
}

export interface TusRetryOptions {
  backoff: BackoffOptions
  /** Set while the upload aborts a stalled request itself, so that failure counts as a stall. */
  isStall: () => boolean
  onRetry: (event: RetryEvent) => void
}

/**
 * tus-js-client's retry hooks driven by Ferry's policy: which failures are worth another try
 * (`classifyFailure`) and how long to wait (full-jitter backoff, or the server's `Retry-After`).
 * tus-js-client reads `retryDelays[attempt]` right after `onShouldRetry`, so the hook writes the
 * delay it chose there; every retry starts with a HEAD that re-reads the server's offset.
 */
export function tusRetryOptions({ backoff, isStall, onRetry }: TusRetryOptions): Pick<
  TusOptions,
  'retryDelays' | 'onShouldRetry'
> {
  const maxAttempts = backoff.maxAttempts ?? 8
  return {
    retryDelays: Array.from({ length: maxAttempts }, () => 0),
    onShouldRetry(error: DetailedError, attempt: number, options: TusOptions) {
      const response = error.originalResponse
      const decision = classifyFailure({
        status: response?.getStatus(),
        retryAfter: response?.getHeader('Retry-After'),
        isNetworkError: !response,
        isStall: isStall(),
      })
      const delay = decision.delay ?? backoffDelay(attempt, backoff)
      if (!decision.retry || delay === undefined || !options.retryDelays) return false
      options.retryDelays[attempt] = delay
      onRetry({ attempt: attempt + 1, delay, reason: decision.reason, status: response?.getStatus(), cause: error })
      return true
    },
  }
}
