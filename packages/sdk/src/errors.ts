/** Stable codes a caller can switch on. Server-side codes come from `@ferry/protocol`. */
export type FerryErrorCode =
  | 'network'
  | 'http'
  | 'aborted'
  | 'hash-failed'
  | 'invalid-response'
  | 'digest-mismatch'
  | 'digest-invalid'
  | 'digest-missing'
  | 'quarantined'
  | 'cancelled'
  | 'stalled'
  | (string & {})

/** What the server answered, when the error came from an HTTP response. */
export interface FerryErrorResponse {
  status: number
  body: string
}

export interface FerryErrorOptions {
  code: FerryErrorCode
  status?: number
  response?: FerryErrorResponse
  cause?: unknown
}

/**
 * Every error the SDK rejects with. `code` is stable across versions; `message` is for people.
 *
 * @example
 * try { await upload.start() } catch (error) {
 *   if (error instanceof FerryError && error.code === 'digest-mismatch') retryFromScratch()
 * }
 */
export class FerryError extends Error {
  override name = 'FerryError'
  readonly code: FerryErrorCode
  readonly status: number | undefined
  readonly response: FerryErrorResponse | undefined

  constructor(message: string, { code, status, response, cause }: FerryErrorOptions) {
    super(message.startsWith('ferry: ') ? message : `ferry: ${message}`, { cause })
    this.code = code
    this.status = status
    this.response = response
  }
}

/**
 * Builds a `FerryError` from an HTTP answer, taking the code and message from a Ferry server's
 * JSON error body when there is one.
 */
export function errorFromResponse(response: FerryErrorResponse, fallback: string, cause?: unknown): FerryError {
  let code: FerryErrorCode = 'http'
  let message = `${fallback} (HTTP ${response.status})`
  try {
    const parsed = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } }
    if (typeof parsed.error?.code === 'string') code = parsed.error.code
    if (typeof parsed.error?.message === 'string') message = parsed.error.message
  } catch {
    if (response.body.trim()) message = `${fallback} (HTTP ${response.status}: ${response.body.trim()})`
  }
  return new FerryError(message, { code, status: response.status, response, cause })
}
