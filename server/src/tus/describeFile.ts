import type { FileDescription } from '@ferry/protocol'
import type { FileRecord } from '../storage/types.js'

/** The public description of a stored file; `uploadUrl` is the URL the upload was made at. */
export function describeFile(record: FileRecord, uploadUrl: string): FileDescription {
  return {
    id: record.id,
    url: uploadUrl,
    key: record.key,
    size: record.size,
    sha256: record.sha256,
    type: record.type,
    name: record.name,
    state: record.state,
  }
}
