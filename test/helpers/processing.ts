import type { FileDescription, ProcessingManifest } from '@ferry/protocol'
import sharp from 'sharp'
import { createUpload, patch, reprDigest } from './tus.js'

/** A photo-like JPEG (Gaussian noise, so encoders have work to do) of the given size. */
export async function noisyJpeg(width: number, height: number, quality = 95): Promise<Buffer<ArrayBuffer>> {
  const noise = { type: 'gaussian' as const, mean: 128, sigma: 40 }
  return sharp({ create: { width, height, channels: 3, background: '#808080', noise } })
    .jpeg({ quality })
    .toBuffer()
}

export interface UploadedFile {
  id: string
  url: string
  body: FileDescription
}

/**
 * Uploads bytes in one PATCH with their digest and returns the server's description; `headers`
 * (such as `Authorization`) go with both requests.
 */
export async function uploadBytes(
  serverUrl: string,
  bytes: Uint8Array,
  name: string,
  type: string,
  headers: Record<string, string> = {},
): Promise<UploadedFile> {
  const url = await createUpload(`${serverUrl}/files/`, bytes.length, { filename: name, filetype: type }, headers)
  const response = await patch(url, 0, bytes, { ...reprDigest(bytes), ...headers })
  if (response.status !== 200) throw new Error(`upload failed: ${response.status} ${await response.text()}`)
  const body = await response.json()
  return { id: body.id, url, body }
}

/** Polls `GET /api/files/:id` until its manifest satisfies `done` (default: settled). */
export async function waitForManifest(
  serverUrl: string,
  id: string,
  done: (manifest: ProcessingManifest) => boolean = (manifest) =>
    manifest.state === 'done' || manifest.state === 'failed',
  timeoutMs = 60_000,
  /** Request headers, such as the owner's `Authorization` on a server with authentication. */
  headers: Record<string, string> = {},
): Promise<ProcessingManifest> {
  const deadline = Date.now() + timeoutMs
  let last: ProcessingManifest | undefined
  while (Date.now() < deadline) {
    const response = await fetch(`${serverUrl}/api/files/${id}`, { headers }).catch(() => undefined)
    if (response?.ok) {
      last = (await response.json()).manifest as ProcessingManifest
      if (done(last)) return last
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`manifest of ${id} did not settle in ${timeoutMs} ms: ${JSON.stringify(last)}`)
}

/** Reads an output over HTTP and returns sharp's view of it. */
export async function fetchImage(url: string): Promise<{ bytes: Buffer; format?: string; width?: number; height?: number }> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`)
  const bytes = Buffer.from(await response.arrayBuffer())
  const { format, width, height } = await sharp(bytes).metadata()
  return { bytes, format, width, height }
}
