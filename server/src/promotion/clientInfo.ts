import { isIP } from 'node:net'

/** Who sent the request that finished an upload. */
export interface ClientInfo {
  userAgent?: string
  ip?: string
}

/**
 * The User-Agent of `request`, and the client's IP when the server is behind a trusted proxy:
 * the first `X-Forwarded-For` address, else the first `Forwarded: for=`. Without a proxy the
 * address is left out, since the tus hooks only see the request, not the socket.
 * @example
 * clientInfoOf(request, { trustProxy: true }) // { userAgent: 'Mozilla/5.0 …', ip: '203.0.113.7' }
 */
export function clientInfoOf(
  request: Request | undefined,
  { trustProxy }: { trustProxy: boolean },
): ClientInfo {
  if (!request) return {}
  const userAgent = request.headers.get('user-agent') ?? undefined
  const ip = trustProxy ? forwardedAddressOf(request.headers) : undefined
  return { ...(userAgent ? { userAgent } : {}), ...(ip ? { ip } : {}) }
}

function forwardedAddressOf(headers: Headers): string | undefined {
  const forwardedFor = headers.get('x-forwarded-for')?.split(',')[0]?.trim()
  if (forwardedFor && isIP(forwardedFor)) return forwardedFor
  const forwarded = /(?:^|[;,\s])for="?\[?([0-9a-fA-F.:]+)/i.exec(
    headers.get('forwarded') ?? '',
  )?.[1]
  return forwarded && isIP(forwarded) ? forwarded : undefined
}
