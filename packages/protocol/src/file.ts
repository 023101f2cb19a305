import type { ProcessingState } from './processing.js'

/**
 * Where a finished upload stands:
 * - `verified`: the server's SHA-256 of the stored bytes equals the client's digest;
 * - `unverified`: complete, but the client sent no digest (a stock tus client);
 * - `quarantined`: the digests differ; the bytes are kept for inspection and never served;
 * - `rejected`: a server hook refused the file at finish; never served or processed.
 */
export type FileState = 'verified' | 'unverified' | 'quarantined' | 'rejected'

/** The server's description of a stored file, the body of the response that completes an upload. */
export interface FileDescription {
  id: string
  /** The upload URL; `GET` on it returns the bytes. */
  url: string
  /** Where the bytes live in the store (object key on S3, path below the data dir on disk). */
  key: string
  size: number
  /** Lowercase hex SHA-256 of the stored bytes, computed by the server. */
  sha256: string
  /**
   * The media type the file is served with: sniffed from its bytes once it was stored under its
   * canonical key (they win over the declared type), else the type declared at upload.
   */
  type: string
  name: string | null
  state: FileState
  /** Post-processing of the file; `none` when the server's policy names no job for it. */
  processing: ProcessingState
  /** Server-Sent Events of the file's processing, while there is any to wait for. */
  eventsUrl?: string
  /**
   * A signed URL of the bytes that needs no credentials (for `<img src>` or a download link),
   * when the server signs download URLs. Anyone holding it can read the file until it expires.
   */
  downloadUrl?: string
  /** When `downloadUrl` stops working (ISO 8601); ask `POST /api/files/:id/download-url` for a new one. */
  downloadUrlExpiresAt?: string
}

/** Media type of a response body holding a `FileDescription`. */
export const FILE_DESCRIPTION_MEDIA_TYPE = 'application/vnd.ferry.file+json'
