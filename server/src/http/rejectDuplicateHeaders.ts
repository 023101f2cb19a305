import { DIGEST_HEADER, ERROR_CODES } from '@ferry/protocol'
import type { MiddlewareHandler } from 'hono'
import { FerryHttpError } from '../errors.js'
import { incomingOf } from './incomingMessage.js'

/** Headers a tus request carries at most once. */
export const SINGLE_HEADERS = [
  'Tus-Resumable',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Defer-Length',
  'Upload-Metadata',
  'Upload-Checksum',
  'Upload-Concat',
  'Content-Type',
  DIGEST_HEADER,
  'Authorization',
] as const

export interface RejectDuplicateHeadersOptions {
  /** @default SINGLE_HEADERS */
  headers?: readonly string[]
  /** Headers of the 400 answer (CORS, `Tus-Resumable`), by the request's Origin. */
  errorHeaders?: (origin: string | undefined) => Record<string, string>
}

/**
 * Answers 400 to a request that repeats a single-valued header, naming it, before anything runs.
 *
 * Fetch `Headers` join repeats as `"a, b"` (and @hono/node-server does so even for Content-Type
 * and Authorization, where Node keeps the first), so `Upload-Offset: 0` twice would reach
 * @tus/server as `"0, 0"` and two `Upload-Metadata` lines would merge into one valid-looking list.
 * Only the raw header lines tell repeats apart: this reads them from the Node request that
 * @hono/node-server passes as `c.env.incoming`, and lets requests through on runtimes without one.
 * Node itself answers 400 to a repeated Content-Length before the app sees it.
 */
export function rejectDuplicateHeaders(
  options: RejectDuplicateHeadersOptions = {},
): MiddlewareHandler {
  const listed = options.headers ?? SINGLE_HEADERS
  const names = new Map(listed.map((name) => [name.toLowerCase(), name]))
  return async (c, next) => {
    const repeated = firstRepeated(rawHeadersOf(c.env), names)
    if (repeated === undefined) return next()
    const error = new FerryHttpError(
      400,
      ERROR_CODES.duplicateHeader,
      `the ${repeated} header was sent more than once; send it once`,
    )
    return error.toResponse(options.errorHeaders?.(c.req.header('origin')))
  }
}

/** Node's `rawHeaders`: names and values alternating, as received. */
function rawHeadersOf(env: unknown): readonly string[] {
  return incomingOf(env)?.rawHeaders ?? []
}

function firstRepeated(raw: readonly string[], names: Map<string, string>): string | undefined {
  const seen = new Set<string>()
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]?.toLowerCase() ?? ''
    if (!names.has(name)) continue
    if (seen.has(name)) return names.get(name)
    seen.add(name)
  }
  return undefined
}
