import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Signed download URLs, as S3's presigned GETs: `<path>?owner=<user>&expires=<unix seconds>&signature=<base64url>`.
 * The signature is HMAC-SHA256 over the path, the owner and the expiry, so it opens exactly one
 * file (or one of its outputs), only while that file is still the owner's, and only until then.
 * The owner travels in the URL so that a signature is checked before anything is looked up: an
 * unexpired signature for a file since deleted then answers 404, never a hint about other ids.
 */
export const DOWNLOAD_SIGNATURE_PARAMS = { owner: 'owner', expires: 'expires', signature: 'signature' } as const

/** What one signature allows: reading `path` as `owner` until `expiresAt` (unix seconds). */
export interface DownloadGrant {
  path: string
  owner: string
  expiresAt: number
}

export type DownloadVerdict =
  | { valid: true; owner: string; expiresAt: number }
  /** `malformed`: a parameter is missing, repeated or ill-formed; `mismatch`: not signed for this path. */
  | { valid: false; reason: 'malformed' | 'mismatch' | 'expired'; detail: string }

// Versioned, so a later format can never be confused with this one.
const CANONICAL_LABEL = 'ferry-download-v1'
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{43}$/
const EXPIRES_PATTERN = /^\d{1,12}$/

/** The base64url HMAC-SHA256 of a grant. */
export function signDownload(key: Uint8Array, grant: DownloadGrant): string {
  return mac(key, grant).toString('base64url')
}

/** The query string (without `?`) that carries a grant's signature. */
export function downloadQuery(key: Uint8Array, grant: DownloadGrant): string {
  return new URLSearchParams({
    [DOWNLOAD_SIGNATURE_PARAMS.owner]: grant.owner,
    [DOWNLOAD_SIGNATURE_PARAMS.expires]: String(grant.expiresAt),
    [DOWNLOAD_SIGNATURE_PARAMS.signature]: signDownload(key, grant),
  }).toString()
}

/** Whether a request means to be judged by a signature (it carries any of its parameters). */
export function carriesDownloadSignature(query: URLSearchParams): boolean {
  return Object.values(DOWNLOAD_SIGNATURE_PARAMS).some((name) => query.has(name))
}

/**
 * Checks the signature `query` carries for `path` at `now` (unix seconds). Never throws: any input
 * is a verdict. The expiry is judged after the signature, so `expired` is said of genuine ones only.
 */
export function verifyDownload(key: Uint8Array, path: string, query: URLSearchParams, now: number): DownloadVerdict {
  const values: Record<string, string> = {}
  for (const name of Object.values(DOWNLOAD_SIGNATURE_PARAMS)) {
    const all = query.getAll(name)
    if (all.length !== 1) return malformed(`the URL must carry "${name}" once, it carries it ${all.length} times`)
    values[name] = all[0] as string
  }
  const owner = values[DOWNLOAD_SIGNATURE_PARAMS.owner] as string
  const expires = values[DOWNLOAD_SIGNATURE_PARAMS.expires] as string
  const signature = values[DOWNLOAD_SIGNATURE_PARAMS.signature] as string
  if (owner === '') return malformed('"owner" is empty')
  if (!EXPIRES_PATTERN.test(expires)) return malformed('"expires" must be a time in whole unix seconds')
  if (!SIGNATURE_PATTERN.test(signature)) return malformed('"signature" must be 43 base64url characters')
  const expiresAt = Number(expires)
  // Compared as text: 43 characters hold 258 bits, so decoding would accept four spellings of one MAC.
  const expected = Buffer.from(signDownload(key, { path, owner, expiresAt }))
  if (!timingSafeEqual(expected, Buffer.from(signature))) {
    return { valid: false, reason: 'mismatch', detail: 'the signature does not match this URL' }
  }
  if (now >= expiresAt) {
    return { valid: false, reason: 'expired', detail: `the URL expired at ${new Date(expiresAt * 1000).toISOString()}` }
  }
  return { valid: true, owner, expiresAt }
}

function mac(key: Uint8Array, { path, owner, expiresAt }: DownloadGrant): Buffer {
  // A JSON array keeps the fields apart whatever they contain (an owner id may hold a newline).
  return createHmac('sha256', key).update(JSON.stringify([CANONICAL_LABEL, path, owner, expiresAt])).digest()
}

function malformed(detail: string): DownloadVerdict {
  return { valid: false, reason: 'malformed', detail }
}
