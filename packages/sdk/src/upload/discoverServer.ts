/** What a tus server says it supports, from its OPTIONS answer. */
export interface ServerCapabilities {
  extensions: string[]
  checksumAlgorithms: string[]
}

const cache = new Map<string, Promise<ServerCapabilities>>()
const NOTHING: ServerCapabilities = { extensions: [], checksumAlgorithms: [] }

/**
 * Asks the endpoint once per page which tus extensions it has. A server that does not answer
 * OPTIONS (or a proxy that eats it) is taken to support nothing beyond the core protocol.
 */
export function discoverServer(endpoint: string, headers: Record<string, string>): Promise<ServerCapabilities> {
  let capabilities = cache.get(endpoint)
  if (!capabilities) {
    capabilities = fetch(endpoint, { method: 'OPTIONS', headers }).then(
      (response) => (response.ok ? parseCapabilities(response.headers) : NOTHING),
      () => NOTHING,
    )
    cache.set(endpoint, capabilities)
  }
  return capabilities
}

function parseCapabilities(headers: Headers): ServerCapabilities {
  const list = (name: string) =>
    (headers.get(name) ?? '')
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter(Boolean)
  return { extensions: list('Tus-Extension'), checksumAlgorithms: list('Tus-Checksum-Algorithm') }
}
