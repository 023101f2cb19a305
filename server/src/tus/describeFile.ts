import type { FileDescription, ProcessingState } from '@ferry/protocol'
import type { SignedDownloadUrl } from '../downloads/createDownloadUrlSigner.js'
import type { FileRecord } from '../storage/types.js'

export interface DescribeFileOptions {
  /** The URL the upload was made at; `GET` on it returns the bytes. */
  uploadUrl: string
  processing: ProcessingState
  /** Where Server-Sent Events of the processing are, while there is any to wait for. */
  eventsUrl?: string
  /** A signed URL of the bytes, when the server signs download URLs. */
  download?: SignedDownloadUrl
}

/** The public description of a stored file. */
export function describeFile(record: FileRecord, options: DescribeFileOptions): FileDescription {
  return {
    id: record.id,
    url: options.uploadUrl,
    key: record.key,
    size: record.size,
    sha256: record.sha256,
    // What a download is served as; the declared type stays in the record.
    type: record.promoted?.contentType ?? record.type,
    name: record.name,
    state: record.state,
    processing: options.processing,
    ...(options.eventsUrl ? { eventsUrl: options.eventsUrl } : {}),
    ...(options.download ? signedDownloadFields(options.download) : {}),
  }
}

/** A signed URL as the fields of a file description or processing output. */
export function signedDownloadFields(download: SignedDownloadUrl): { downloadUrl: string; downloadUrlExpiresAt: string } {
  return { downloadUrl: download.url, downloadUrlExpiresAt: download.expiresAt.toISOString() }
}
