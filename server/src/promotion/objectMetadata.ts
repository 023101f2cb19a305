import type { FileRecord } from '../storage/types.js'
import type { ClientInfo } from './clientInfo.js'

/** The user metadata of a promoted object, as plain text (the disk sidecar keeps it so). */
export interface PromotedMetadata {
  'original-name'?: string
  uploader: string
  sha256: string
  'upload-id': string
  'user-agent'?: string
  'client-ip'?: string
}

/** S3 allows 2 KB of user metadata in all; these bounds keep a long name or agent inside it. */
const LONGEST_VALUE: Partial<Record<keyof PromotedMetadata, number>> = {
  'original-name': 1024,
  'user-agent': 512,
}

/**
 * The metadata a promoted object carries: its original name, uploader, SHA-256 and upload id, and
 * the client's User-Agent and IP when those are recorded.
 * @example
 * promotedMetadataOf(record, { userAgent: 'curl/8.5.0' })
 * // { 'original-name': 'cat.png', uploader: 'alice', sha256: '…', 'upload-id': '…', 'user-agent': 'curl/8.5.0' }
 */
export function promotedMetadataOf(record: FileRecord, client: ClientInfo = {}): PromotedMetadata {
  return {
    ...(record.name ? { 'original-name': record.name } : {}),
    uploader: record.owner,
    sha256: record.sha256,
    'upload-id': record.id,
    ...(client.userAgent ? { 'user-agent': client.userAgent } : {}),
    ...(client.ip ? { 'client-ip': client.ip } : {}),
  }
}

/**
 * The metadata as S3 headers (`x-amz-meta-*`) can carry it: HTTP header values are ASCII, so
 * anything else (and `%` itself) is percent-encoded as UTF-8, and long values are cut at a
 * character boundary. Decode with `decodeURIComponent`.
 * @example
 * toS3Metadata({ 'original-name': 'résumé.pdf', … })['original-name'] // 'r%C3%A9sum%C3%A9.pdf'
 */
export function toS3Metadata(metadata: PromotedMetadata): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(metadata) as [keyof PromotedMetadata, string][]) {
    headers[name] = truncateEncoded(
      encodeHeaderValue(value),
      LONGEST_VALUE[name] ?? Number.POSITIVE_INFINITY,
    )
  }
  return headers
}

function encodeHeaderValue(value: string): string {
  return value.replace(/[^\x20-\x7e]|%/gu, (character) =>
    Array.from(
      Buffer.from(character, 'utf8'),
      (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    ).join(''),
  )
}

/** Cuts an encoded value without splitting a `%XX` escape or a character's UTF-8 bytes. */
function truncateEncoded(value: string, longest: number): string {
  if (value.length <= longest) return value
  let cut = value.slice(0, longest)
  const partialEscape = /%[0-9A-F]?$/.exec(cut)
  if (partialEscape) cut = cut.slice(0, partialEscape.index)
  // Drop a trailing incomplete UTF-8 sequence: continuation bytes (%80-%BF) after a lead byte.
  const trailing = /(%[C-F][0-9A-F])(%[89AB][0-9A-F])*$/.exec(cut)
  if (trailing) {
    const lead = Number.parseInt(trailing[1]?.slice(1) ?? '0', 16)
    const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2
    const have = trailing[0].length / 3
    if (have < needed) cut = cut.slice(0, trailing.index)
  }
  return cut
}
