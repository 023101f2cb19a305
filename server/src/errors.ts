import { type ErrorBody, type ErrorCode } from '@ferry/protocol'

/**
 * An error the server answers with a precise status and a JSON body naming what was wrong.
 * Thrown from Hono routes and from tus hooks alike; `toTusError` adapts it to what @tus/server
 * expects from a hook.
 */
export class FerryHttpError extends Error {
  override name = 'FerryHttpError'
  /** Extra response headers, such as `Retry-After`. */
  readonly headers: Record<string, string>

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(`ferry-server: ${message}`, options)
    this.headers = options?.headers ?? {}
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } }
  }

  toResponse(headers: Record<string, string> = {}): Response {
    return Response.json(this.toBody(), { status: this.status, headers: { ...headers, ...this.headers } })
  }

  /** The shape @tus/server sends back when a hook throws it. */
  toTusError(): { status_code: number; body: string } {
    return { status_code: this.status, body: JSON.stringify(this.toBody()) }
  }
}
