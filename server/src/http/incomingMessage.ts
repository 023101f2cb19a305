import type { IncomingMessage } from 'node:http'

/**
 * The Node request that @hono/node-server passes as `c.env.incoming`, for what a fetch Request
 * cannot show: raw header lines and trailers. `undefined` on runtimes without one.
 */
export function incomingOf(env: unknown): IncomingMessage | undefined {
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return undefined
  const incoming: unknown = env.incoming
  if (typeof incoming !== 'object' || incoming === null || !('rawHeaders' in incoming)) return undefined
  return incoming as IncomingMessage
}

/**
 * Reads one trailer of the request (Node fills them in before the body ends); `undefined` before
 * then, when the client sent none, or on runtimes without a Node request.
 */
export function trailerReader(env: unknown, name: string): () => string | undefined {
  const incoming = incomingOf(env)
  const key = name.toLowerCase()
  return () => incoming?.trailers[key]
}
