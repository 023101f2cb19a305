import type { DetailedError, UploadOptions as TusOptions } from 'tus-js-client'
import { type BackoffOptions, backoffDelay } from '../retry/backoff.js'
import { classifyFailure, type FailureReason } from '../retry/classifyFailure.js'
import { responseOf } from './headFailuresRetried.js'
import { isOnline } from './watchConnectivity.js'

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
  /** Chunks refused with 460 (checksum mismatch) are sent again this many times. @default 1 */
  checksumResends?: number
  /** Set while the upload aborts a stalled request itself, so that failure counts as a stall. */
  isStall: () => boolean
  onRetry: (event: RetryEvent) => void
  /**
   * A request failed without an answer while the browser is offline: no attempt is spent, the
   * request is not retried, and the upload waits for the network instead (it then gets the
   * failure in `onError`, which it ignores). Without it, offline failures are retried like others.
   */
  onOffline?: () => void
}

/**
 * tus-js-client's retry hooks driven by Ferry's policy: which failures are worth another try
 * (`classifyFailure`) and how long to wait (full-jitter backoff, or the server's `Retry-After`).
 * tus-js-client reads `retryDelays[attempt]` right after `onShouldRetry`, so the hook writes the
 * delay it chose there; every retry starts with a HEAD that re-reads the server's offset.
 */
export function tusRetryOptions({
  backoff,
  isStall,
  onRetry,
  onOffline,
  checksumResends = 1,
}: TusRetryOptions): Pick<
  TusOptions,
  'retryDelays' | 'onShouldRetry'
> {
  const maxAttempts = backoff.maxAttempts ?? 8
  const resentAt = new Map<string, number>()
  return {
    retryDelays: Array.from({ length: maxAttempts }, () => 0),
    onShouldRetry(error: DetailedError, attempt: number, options: TusOptions) {
      const response = responseOf(error)
      if (!response && onOffline && !isOnline()) {
        onOffline()
        return false
      }
      if (response?.getStatus() === 460) {
        // Damaged in transit: that one chunk is sent again, and a second mismatch is an error.
        // (By upload URL too: each parallel part counts its offsets from its own start.)
        const chunk = `${error.originalRequest?.getURL() ?? ''} ${error.originalRequest?.getHeader('Upload-Offset') ?? ''}`
        const resent = resentAt.get(chunk) ?? 0
        if (resent >= checksumResends || !options.retryDelays || attempt >= options.retryDelays.length) return false
        resentAt.set(chunk, resent + 1)
        options.retryDelays[attempt] = 0
        onRetry({ attempt: attempt + 1, delay: 0, reason: 'checksum-mismatch', status: 460, cause: error })
        return true
      }
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
