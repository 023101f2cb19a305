import { WANT_DIGEST_HEADER } from '@ferry/protocol'

/** What a tus server says it supports, from its OPTIONS answer. */
export interface ServerCapabilities {
  /** `false` when OPTIONS failed: nothing is known about the server. */
  answered: boolean
  extensions: string[]
  checksumAlgorithms: string[]
  /** It asked for the whole file's SHA-256 (`Want-Repr-Digest: sha-256=…`), as Ferry's server does. */
  wantsSha256Digest: boolean
}

const cache = new Map<string, Promise<ServerCapabilities>>()
const NOTHING: ServerCapabilities = { answered: false, extensions: [], checksumAlgorithms: [], wantsSha256Digest: false }

/**
 * Asks the endpoint once per page which tus extensions it has. A server that does not answer
 * OPTIONS (or a proxy that eats it) is taken to support nothing beyond the core protocol, for
 * that upload; a failure that may pass (no network, 5xx, 401/403) is not remembered.
 */
export function discoverServer(endpoint: string, headers: Record<string, string>): Promise<ServerCapabilities> {
  let capabilities = cache.get(endpoint)
  if (!capabilities) {
    capabilities = fetch(endpoint, { method: 'OPTIONS', headers }).then(
      (response) => {
        if (response.ok) return parseCapabilities(response.headers)
        // A server that answers OPTIONS with an error now (restarting, or wanting credentials
        // that a later upload has) is asked again by the next upload; one without OPTIONS is not.
        if (response.status >= 500 || response.status === 401 || response.status === 403) cache.delete(endpoint)
        return NOTHING
      },
      () => {
        cache.delete(endpoint) // offline, or the server down: ask again next time
        return NOTHING
      },
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
  return {
    answered: true,
    extensions: list('Tus-Extension'),
    checksumAlgorithms: list('Tus-Checksum-Algorithm'),
    wantsSha256Digest: list(WANT_DIGEST_HEADER).some((preference) => /^sha-256=([1-9]|10)$/.test(preference.replace(/\s/g, ''))),
  }
}
