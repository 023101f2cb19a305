import type { FileDescription } from '@ferry/protocol'
import type { DetailedError } from 'tus-js-client'
import { errorFromResponse, FerryError } from '../errors.js'
import { responseOf } from './headFailuresRetried.js'

/** One run of `start()` until it settles: the promise every caller of that run receives. */
export interface Attempt {
  promise: Promise<FileDescription>
  resolve: (file: FileDescription) => void
  reject: (error: FerryError) => void
}

export function createAttempt(): Attempt {
  let resolve!: Attempt['resolve']
  let reject!: Attempt['reject']
  const promise = new Promise<FileDescription>((onResolve, onReject) => {
    resolve = onResolve
    reject = onReject
  })
  // A cancelled upload nobody awaits must not surface as an unhandled rejection.
  promise.catch(() => {})
  return { promise, resolve, reject }
}

export function parseDescription(body: string, status: number): FileDescription {
  try {
    const parsed = JSON.parse(body) as FileDescription
    if (typeof parsed.id === 'string' && typeof parsed.sha256 === 'string') return parsed
  } catch {
    // fall through to the typed error below
  }
  throw new FerryError('the server answered the final request without a file description', {
    code: 'invalid-response',
    status,
    response: { status, body },
  })
}

/**
 * tus-js-client's failure as a FerryError. It hands over an Error (a DetailedError when there was
 * an answer) except where it passes on a request's rejection unwrapped: the final POST of a
 * parallel upload rejects with the XHR's error event, which has no message.
 */
export function fromTusError(error: Error | DetailedError | Event): FerryError {
  if (!(error instanceof Error)) {
    return new FerryError('a request failed without an answer the browser could read (network, or CORS)', {
      code: 'network',
      cause: error,
    })
  }
  const response = 'originalResponse' in error ? responseOf(error) : null
  if (response) {
    return errorFromResponse(
      { status: response.getStatus(), body: response.getBody() ?? '' },
      error.message.replace(/^tus: /, ''),
      error,
    )
  }
  return new FerryError(error.message.replace(/^tus: /, ''), { code: 'network', cause: error })
}

export function toFerryError(error: unknown): FerryError {
  if (error instanceof FerryError) return error
  return new FerryError(error instanceof Error ? error.message : String(error), {
    code: 'network',
    cause: error,
  })
}

export function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>
}
