import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface GeneratedFile {
  path: string
  size: number
  sha256: string
}

/** Writes `size` random bytes to a new temp file, in 1 MiB steps, and returns its SHA-256. */
export async function generateFile(size: number, name = 'random.bin'): Promise<GeneratedFile> {
  const directory = await mkdtemp(path.join(tmpdir(), 'ferry-test-'))
  const filePath = path.join(directory, name)
  const hash = createHash('sha256')
  const out = createWriteStream(filePath)
  for (let written = 0; written < size; ) {
    const chunk = randomBytes(Math.min(1024 * 1024, size - written))
    hash.update(chunk)
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
    written += chunk.length
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
  return { path: filePath, size, sha256: hash.digest('hex') }
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** SHA-256 of an HTTP response body, streamed. */
export async function sha256OfResponse(response: Response): Promise<string> {
  const hash = createHash('sha256')
  if (!response.body) return hash.digest('hex')
  for await (const chunk of response.body) hash.update(chunk)
  return hash.digest('hex')
}
