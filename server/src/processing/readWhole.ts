import type { Readable } from 'node:stream'
import { ProcessingStepError } from './steps/index.js'

/** Reads a stream into one Buffer, refusing to hold more than `limit` bytes. */
export async function readWhole(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of stream) {
    total += (chunk as Buffer).length
    if (total > limit) {
      stream.destroy()
      throw new ProcessingStepError('input-too-large', 'read', `the file is over ${limit} bytes, the processing limit`)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
