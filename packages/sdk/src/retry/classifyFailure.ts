import { parseRetryAfter } from './parseRetryAfter.js'

/** What is known about one failed request. */
export interface FailureInfo {
  /** The response's HTTP status; absent when no response arrived. */
  status?: number
  /** The response's `Retry-After` header. */
  retryAfter?: string | null
  /** No response arrived: connection refused or reset, offline, blocked by CORS. */
  isNetworkError: boolean
  /** The caller aborted the request because its progress stopped for too long. */
  isStall: boolean
}

export type FailureReason =
  | 'network'
  | 'stalled'
  | 'server-error'
  | 'conflict'
  | 'locked'
  | 'rate-limited'
  | 'checksum-mismatch'
  | 'unauthorized'
  | 'gone'
  | 'rejected'
  | 'unexpected'

/** Whether and how to retry a failed request. */
export interface RetryDecision {
  retry: boolean
  reason: FailureReason
  /** Milliseconds the server asked to wait (`Retry-After`), capped; otherwise use the backoff. */
  delay?: number
  /** The server may hold more or fewer bytes than the client thinks: ask it (HEAD) first. */
  reReadOffset: boolean
}

export interface ClassifyFailureOptions {
  /**
   * Longest `Retry-After` honoured, in milliseconds; a longer one is shortened to this.
   * @default 60000
   */
  maxRetryAfter?: number
  /**
   * The current time in epoch milliseconds, for a `Retry-After` date.
   * @default Date.now()
   */
  now?: number
}

export const defaultClassifyFailureOptions = { maxRetryAfter: 60_000 }

/**
 * Decides whether a failed tus request is worth retrying. Network errors, stalls, 5xx, 408, 409,
 * 423 and 429 are; other answers (400, 401, 403, 404, 410, 413, 415, 422, 460, ...) are not,
 * because sending the same request again would get the same answer. A 460 (checksum mismatch)
 * is the caller's to handle, by sending that one chunk again.
 *
 * @example
 * const failure = { status: 503, retryAfter: '5', isNetworkError: false, isStall: false }
 * const { retry, delay } = classifyFailure(failure) // true, 5000 (reason 'server-error')
 */
export function classifyFailure(
  failure: FailureInfo,
  options: ClassifyFailureOptions = {},
): RetryDecision {
  const decision = decide(failure)
  if (!decision.retry) return decision
  const requested = parseRetryAfter(failure.retryAfter, options)
  if (requested === undefined) return decision
  const { maxRetryAfter } = { ...defaultClassifyFailureOptions, ...options }
  return { ...decision, delay: Math.min(requested, maxRetryAfter) }
}

function decide({ status, isNetworkError, isStall }: FailureInfo): RetryDecision {
  // After a lost connection or a stall, part of the chunk may have reached the server.
  if (isStall) return { retry: true, reason: 'stalled', reReadOffset: true }
  if (isNetworkError) return { retry: true, reason: 'network', reReadOffset: true }
  if (status === undefined) return { retry: false, reason: 'unexpected', reReadOffset: false }
  switch (status) {
    case 408:
      return { retry: true, reason: 'stalled', reReadOffset: true }
    // The client's offset disagrees with the server's, or another request still holds the upload.
    case 409:
      return { retry: true, reason: 'conflict', reReadOffset: true }
    case 423:
      return { retry: true, reason: 'locked', reReadOffset: true }
    // Refused before any byte was taken: the offset stands.
    case 429:
      return { retry: true, reason: 'rate-limited', reReadOffset: false }
    case 460:
      return { retry: false, reason: 'checksum-mismatch', reReadOffset: false }
    case 401:
    case 403:
      return { retry: false, reason: 'unauthorized', reReadOffset: false }
    case 404:
    case 410:
      return { retry: false, reason: 'gone', reReadOffset: false }
    // 501: the server lacks the feature asked for; it will lack it on the next try too.
    case 501:
      return { retry: false, reason: 'rejected', reReadOffset: false }
  }
  // A server error may strike halfway through writing a chunk.
  if (status >= 500 && status < 600) {
    return { retry: true, reason: 'server-error', reReadOffset: true }
  }
  const reason = status >= 400 && status < 500 ? 'rejected' : 'unexpected'
  return { retry: false, reason, reReadOffset: false }
}
