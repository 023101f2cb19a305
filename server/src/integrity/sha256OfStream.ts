import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'

/** Lowercase hex SHA-256 of everything a stream yields, read once and never held whole. */
export async function sha256OfStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of stream) hash.update(chunk as Uint8Array)
  return hash.digest('hex')
}
