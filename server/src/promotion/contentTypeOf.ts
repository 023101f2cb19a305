import type { SniffedType } from '../policy/sniffContent.js'

/** What a promoted object is stored as. */
export interface PromotedType {
  contentType: string
  /** With its dot (`.png`), or `''` when the type has no usual one. */
  extension: string
}

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/
/** Formats with no magic number: their declared type is all there is to go on. */
const TEXT_EXTENSIONS: Record<string, string> = {
  'text/plain': '.txt',
  'text/csv': '.csv',
  'text/markdown': '.md',
  'text/html': '.html',
  'text/css': '.css',
  'text/xml': '.xml',
  'text/calendar': '.ics',
  'text/javascript': '.js',
  'application/json': '.json',
  'application/xml': '.xml',
  'application/javascript': '.js',
  'application/x-ndjson': '.ndjson',
  'image/svg+xml': '.svg',
}

/**
 * The Content-Type and extension of a promoted object. The type sniffed from its first bytes
 * wins over whatever was declared. Content with no recognisable signature keeps its declared type
 * (text formats have none to sniff; other content is what the upload policy, when on, refuses),
 * with its charset for text, and an extension only for text formats: a key's extension says the
 * type was confirmed. A malformed declaration gives `application/octet-stream`.
 * @example
 * promotedTypeOf({ sniffed: { mime: 'image/png', ext: 'png' }, declared: 'application/pdf' })
 * // { contentType: 'image/png', extension: '.png' }
 * promotedTypeOf({ sniffed: undefined, declared: 'text/csv; charset=utf-8' })
 * // { contentType: 'text/csv; charset=utf-8', extension: '.csv' }
 */
export function promotedTypeOf({
  sniffed,
  declared,
}: {
  sniffed: SniffedType | undefined
  declared: string
}): PromotedType {
  if (sniffed) return { contentType: sniffed.mime, extension: `.${sniffed.ext.toLowerCase()}` }
  const [base = '', ...parameters] = declared.split(';').map((part) => part.trim())
  const type = base.toLowerCase()
  if (!MEDIA_TYPE.test(type)) return { contentType: 'application/octet-stream', extension: '' }
  if (!isText(type)) return { contentType: type, extension: '' }
  // Only a charset survives: it is what a text file needs, and nothing else is checked here.
  const charset = parameters.find((parameter) => /^charset=[a-z0-9._-]+$/i.test(parameter))
  return {
    contentType: charset ? `${type}; ${charset.toLowerCase()}` : type,
    extension: TEXT_EXTENSIONS[type] ?? '',
  }
}

function isText(type: string): boolean {
  return (
    type.startsWith('text/') ||
    type in TEXT_EXTENSIONS ||
    type.endsWith('+json') ||
    type.endsWith('+xml')
  )
}
