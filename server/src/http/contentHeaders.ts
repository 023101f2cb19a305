/**
 * Content-Type and Content-Disposition for serving a user's upload. The declared type is used only
 * when well formed, and only types that cannot run script are shown inline; everything else is
 * downloaded, so an uploaded HTML or SVG file cannot execute on this origin.
 */
const INLINE_TYPES = new Set([
  'text/plain',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'audio/mpeg',
  'audio/ogg',
  'audio/wav',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'application/pdf',
])

const TOKEN = "[a-z0-9!#$&^_.+-]+"
/** `type/subtype`, with parameters (`; charset=utf-8`) as tokens or quoted strings, nothing else. */
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:\\s*;\\s*${TOKEN}=(?:${TOKEN}|"[^"\\\\\\r\\n]*"))*$`, 'i')

export function contentHeaders(type: string, name: string | null): Record<string, string> {
  const wellFormed = MEDIA_TYPE.test(type)
  const contentType = wellFormed ? type : 'application/octet-stream'
  const essence = type.split(';')[0]?.trim().toLowerCase() ?? ''
  const disposition = wellFormed && INLINE_TYPES.has(essence) ? 'inline' : 'attachment'
  return {
    'Content-Type': contentType,
    'Content-Disposition': name ? `${disposition}; ${encodeFilename(name)}` : disposition,
    'X-Content-Type-Options': 'nosniff',
  }
}

/** RFC 6266 with an ASCII fallback and the exact name in RFC 8187 encoding. */
function encodeFilename(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}
