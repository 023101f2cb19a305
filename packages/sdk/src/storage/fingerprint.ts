import { FerryError } from '../errors.js'
import { readHead } from '../validation/sniffType.js'

export interface FingerprintOptions {
  /** The tus endpoint: the same file sent to two servers is two different uploads. */
  endpoint: string
  /**
   * Bytes from the start of the file whose SHA-256 goes into the fingerprint, so that two files
   * alike in name, size and date but not in content are told apart.
   * @default 65536
   */
  headBytes?: number
}

export const defaultFingerprintOptions = { headBytes: 64 * 1024 }

/**
 * A stable key for resuming a file's upload: SHA-256 over its name, size, type, modification
 * time, the endpoint, and the SHA-256 of its first 64 KiB, as `ferry:v1:<64 hex digits>`. The
 * version names the recipe; changing the recipe must change it. Needs `crypto.subtle`, which
 * browsers offer only in secure contexts (https, localhost).
 *
 * @example
 * new TusUpload(file, { fingerprint: (file) => fingerprint(file, { endpoint }) })
 */
export async function fingerprint(file: Blob, options: FingerprintOptions): Promise<string> {
  const { endpoint, headBytes } = { ...defaultFingerprintOptions, ...options }
  const subtle = globalThis.crypto?.subtle
  if (!subtle) {
    const message = 'fingerprinting needs crypto.subtle, which only secure contexts (https) have'
    throw new FerryError(message, { code: 'insecure-context' })
  }
  const head = await subtle.digest('SHA-256', await readHead(file, headBytes))
  const { name = '', lastModified = 0 } = file as Partial<File>
  const identity = JSON.stringify([name, file.size, file.type, lastModified, endpoint, toHex(head)])
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(identity))
  return `ferry:v1:${toHex(digest)}`
}

function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, '0')).join('')
}
