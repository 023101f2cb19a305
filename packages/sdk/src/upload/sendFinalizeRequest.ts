import { DIGEST_HEADER } from '@ferry/protocol'
import { FerryError, type FerryErrorResponse } from '../errors.js'

export interface FinalizeRequestOptions {
  url: string
  size: number
  /** A formatted `Repr-Digest` value. */
  digest: string
  headers: Record<string, string>
}

/**
 * A zero-length tus PATCH at the final offset carrying the digest. The protocol allows it, and a
 * Ferry server answers it as it answers the PATCH that wrote the last byte.
 */
export async function sendFinalizeRequest({
  url,
  size,
  digest,
  headers,
}: FinalizeRequestOptions): Promise<FerryErrorResponse & { contentType: string | null }> {
  try {
    const response = await fetch(url, {
      method: 'PATCH',
      headers: {
        ...headers,
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': String(size),
        'Content-Type': 'application/offset+octet-stream',
        [DIGEST_HEADER]: digest,
      },
    })
    return {
      status: response.status,
      body: await response.text(),
      contentType: response.headers.get('content-type'),
    }
  } catch (error) {
    throw new FerryError(`could not reach the server to finish the upload: ${String(error)}`, {
      code: 'network',
      cause: error,
    })
  }
}
