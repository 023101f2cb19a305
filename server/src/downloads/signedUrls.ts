import type { FileRecord } from '../storage/types.js'
import type { DownloadUrlSigner, SignedDownloadUrl } from './createDownloadUrlSigner.js'
import { filePath, outputPath } from './downloadPaths.js'

/**
 * The signed URL of a file's bytes on `origin`; none when signing is off or the file is not
 * served (quarantined, rejected).
 */
export function signedFileUrl(
  downloadUrls: DownloadUrlSigner | undefined,
  record: FileRecord,
  origin: string,
  ttlSeconds?: number,
): SignedDownloadUrl | undefined {
  if (!downloadUrls || record.state === 'quarantined' || record.state === 'rejected') return undefined
  return downloadUrls.sign({ origin, path: filePath(record.id), owner: record.owner, ttlSeconds })
}

/** The signed URL of one of a file's processing outputs; none when signing is off. */
export function signedOutputUrl(
  downloadUrls: DownloadUrlSigner | undefined,
  record: FileRecord,
  name: string,
  origin: string,
): SignedDownloadUrl | undefined {
  return downloadUrls?.sign({ origin, path: outputPath(record.id, name), owner: record.owner })
}
