import { createHash } from 'node:crypto'

/** Plain tus 1.0.0 requests over fetch, so tests control every header and byte. */
export const TUS = { 'Tus-Resumable': '1.0.0' }

export function encodeMetadata(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',')
}

/** The pairs of an `Upload-Metadata` header, decoded; `{}` when there is none. */
export function decodeMetadata(header: string | null): Record<string, string> {
  if (!header) return {}
  return Object.fromEntries(
    header.split(',').map((pair) => {
      const [key = '', value = ''] = pair.trim().split(' ')
      return [key, Buffer.from(value, 'base64').toString('utf8')]
    }),
  )
}

export async function createUpload(
  endpoint: string,
  size: number,
  metadata: Record<string, string> = { filename: 'test.bin', filetype: 'application/octet-stream' },
  /** More request headers, such as `Authorization`. */
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { ...TUS, 'Upload-Length': String(size), 'Upload-Metadata': encodeMetadata(metadata), ...headers },
  })
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${await response.text()}`)
  const location = response.headers.get('location')
  if (!location) throw new Error('create answered without Location')
  return new URL(location, endpoint).href
}

export function patch(
  url: string,
  offset: number,
  body: Uint8Array | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: { ...TUS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream', ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit)
}

export async function headOffset(url: string): Promise<number> {
  const response = await fetch(url, { method: 'HEAD', headers: TUS })
  if (response.status !== 200) throw new Error(`HEAD ${url}: ${response.status}`)
  return Number(response.headers.get('upload-offset'))
}

export function reprDigest(bytes: Uint8Array | string): { 'Repr-Digest': string } {
  const digest = typeof bytes === 'string' ? Buffer.from(bytes, 'hex') : createHash('sha256').update(bytes).digest()
  return { 'Repr-Digest': `sha-256=:${digest.toString('base64')}:` }
}
