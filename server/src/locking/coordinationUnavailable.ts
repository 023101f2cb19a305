import { ERROR_CODES } from '@ferry/protocol'
import { FerryHttpError } from '../errors.js'

/** Seconds a client is asked to wait: ioredis tries to reconnect every 2 s at most. */
const RETRY_AFTER_SECONDS = '2'

/**
 * The answer while the coordination Redis cannot be reached (with FERRY_COORDINATION=redis): 503
 * with Retry-After, which clients retry, instead of a 500 after ioredis' reconnection attempts.
 * Nothing is written without a lock, so nothing is lost.
 */
export function coordinationUnavailable(cause: unknown): FerryHttpError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new FerryHttpError(
    503,
    ERROR_CODES.coordinationUnavailable,
    `the coordination Redis cannot be reached (${reason}); try again shortly`,
    { cause, headers: { 'Retry-After': RETRY_AFTER_SECONDS } },
  )
}
