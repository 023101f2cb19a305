import { DIGEST_HEADER } from '@ferry/protocol'
import { FerryError, type FerryErrorResponse } from '../errors.js'
import { type BackoffOptions, backoffDelay } from '../retry/backoff.js'
import { classifyFailure } from '../retry/classifyFailure.js'
import type { RetryEvent } from './tusRetry.js'
import { isOnline } from './watchConnectivity.js'

export interface FinalizeRequestOptions {
  url: string
  size: number
  /** A formatted `Repr-Digest` value. */
  digest: string
  headers: Record<string, string>
  backoff: BackoffOptions
  /** Called before each wait between attempts, as tus-js-client's retries are reported. */
  onRetry: (event: RetryEvent) => void
  /** Aborts the request and the waits (a cancel). */
  signal: AbortSignal
}

export type FinalizeResponse = FerryErrorResponse & { contentType: string | null }

/**
 * A zero-length tus PATCH at the final offset carrying the digest. The protocol allows it, and a
 * Ferry server answers it as it answers the PATCH that wrote the last byte, as often as it is
 * asked; so it is sent again, with the same policy as tus-js-client's requests, until it gets an
 * answer that is not worth retrying. This is the request of a client that missed the answer to
 * its last PATCH: one whose network is failing, so one failure of it must not end the upload.
 * While the browser is offline it waits for the network without spending attempts.
 */
export async function sendFinalizeRequest(options: FinalizeRequestOptions): Promise<FinalizeResponse> {
  for (let attempt = 0; ; ) {
    let response: SentResponse | undefined
    let cause: Error
    try {
      response = await sendOnce(options)
      if (response.status < 300) return response
      cause = new FerryError(`the server answered ${response.status} to the request finishing the upload`, {
        code: 'http',
        status: response.status,
      })
    } catch (error) {
      if (options.signal.aborted) throw error
      if (!isOnline()) {
        await onceOnline(options.signal) // spends no attempt
        continue
      }
      cause = error as Error
    }
    const decision = classifyFailure({
      status: response?.status,
      retryAfter: response?.retryAfter,
      isNetworkError: !response,
      isStall: false,
    })
    const backoff = backoffDelay(attempt, options.backoff)
    // 409 here is no race to re-read: the server holds other than all the bytes.
    if (!decision.retry || response?.status === 409 || backoff === undefined) {
      if (response) return response
      throw cause
    }
    const delay = decision.delay ?? backoff
    options.onRetry({ attempt: attempt + 1, delay, reason: decision.reason, status: response?.status, cause })
    await sleep(delay, options.signal)
    attempt++
  }
}

type SentResponse = FinalizeResponse & { retryAfter: string | null }

async function sendOnce({ url, size, digest, headers, signal }: FinalizeRequestOptions): Promise<SentResponse> {
  try {
    const response = await fetch(url, {
      method: 'PATCH',
      signal,
      headers: {
        ...headers,
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': String(size),
        'Content-Type': 'application/offset+octet-stream',
        [DIGEST_HEADER]: digest,
      },
    })
    return {
      status: response.status,
      body: await response.text(),
      contentType: response.headers.get('content-type'),
      retryAfter: response.headers.get('retry-after'),
    }
  } catch (error) {
    throw new FerryError(`could not reach the server to finish the upload: ${String(error)}`, {
      code: signal.aborted ? 'cancelled' : 'network',
      cause: error,
    })
  }
}

function cancelled(): FerryError {
  return new FerryError('the upload was cancelled', { code: 'cancelled' })
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelled())
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(cancelled())
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

function onceOnline(signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelled())
    const done = () => {
      globalThis.removeEventListener?.('online', onOnline)
      signal.removeEventListener('abort', onAbort)
    }
    const onOnline = () => {
      done()
      resolve()
    }
    const onAbort = () => {
      done()
      reject(cancelled())
    }
    globalThis.addEventListener?.('online', onOnline)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
