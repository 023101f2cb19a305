/**
 * Design note: a client-supplied filename ends up in Content-Disposition headers, in object
 * keys, on users' disks and in front of users' eyes. This makes it one harmless name: no path,
 * nothing invisible or direction-reversing, nothing Windows refuses, at most `maxLength` bytes.
 * It keeps everything else (any script, emoji, inner spaces); it does not make a name unique.
 */

/** Options of `sanitizeFilename`. */
export interface SanitizeFilenameOptions {
  /**
   * Longest result in bytes of UTF-8: 255 is what ext4, APFS and S3 key segments allow. At
   * least 16, to leave room for a name and its extension.
   * @default 255
   */
  maxLength: number
}

/** Defaults of `sanitizeFilename`. */
export const defaultSanitizeFilenameOptions: SanitizeFilenameOptions = { maxLength: 255 }

/** What a name falls back to when nothing of it survives. */
const FALLBACK = 'file'
/** Longest tail kept as an extension; a longer one is just part of the name. */
const MAX_EXTENSION_BYTES = 16

/**
 * C0, DEL, C1, the Unicode bidi controls (U+061C, U+200E/F, U+202A–E, U+2066–9) that make
 * `\u202Egnp.exe` display as `exe.png`, and lone surrogates, which UTF-8 cannot carry.
 */
const INVISIBLE = /[\p{Cc}\p{Bidi_Control}\p{Cs}]/gu
const WINDOWS_RESERVED = /[<>:"|?*]/g
const EDGE_DOTS_AND_SPACES = /^[\s.]+|[\s.]+$/gu
/** Device names Windows resolves in any folder, with any extension, in any case. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i

const encoder = new TextEncoder()
/** Created on first use: nothing runs at import. */
let graphemes: Intl.Segmenter | undefined

/**
 * Turns a client-supplied filename into one safe to store and show. Pure.
 * @example
 * sanitizeFilename('../../etc/passwd') // 'passwd'
 * sanitizeFilename('C:\\Windows\\x.exe') // 'x.exe'
 * sanitizeFilename('\u202Egnp.exe') // 'gnp.exe'
 * sanitizeFilename('con.txt') // '_con.txt'
 */
export function sanitizeFilename(
  name: string,
  options: Partial<SanitizeFilenameOptions> = {},
): string {
  const { maxLength } = { ...defaultSanitizeFilenameOptions, ...options }
  if (!Number.isSafeInteger(maxLength) || maxLength < 16) {
    const got = String(maxLength)
    throw new RangeError(
      `ferry-server: sanitizeFilename maxLength must be an integer of at least 16, got ${got}`,
    )
  }
  // Normalise after stripping: removing a control can bring a base and its accent together.
  const visible = name.replace(INVISIBLE, '').normalize('NFC')
  const base = lastPathSegment(visible)
  const cleaned = trimEdges(base.replace(WINDOWS_RESERVED, '_'))
  if (cleaned === '') return FALLBACK
  const shortened = trimEdges(truncateKeepingExtension(cleaned, maxLength))
  const safe = isWindowsDevice(shortened)
    ? truncateKeepingExtension(`_${shortened}`, maxLength)
    : shortened
  return safe === '' ? FALLBACK : safe
}

/** The last segment that names something: `a/b/..` gives `b`, never `..`. */
function lastPathSegment(path: string): string {
  const segments = path.split(/[/\\]/).filter((segment) => !/^\s*\.*\s*$/.test(segment))
  return segments.at(-1) ?? ''
}

function trimEdges(name: string): string {
  return name.replace(EDGE_DOTS_AND_SPACES, '')
}

function isWindowsDevice(name: string): boolean {
  const stem = (name.split('.')[0] ?? '').trimEnd()
  return WINDOWS_DEVICE.test(stem)
}

function truncateKeepingExtension(name: string, maxBytes: number): string {
  if (byteLength(name) <= maxBytes) return name
  const dot = name.lastIndexOf('.')
  const extension = dot > 0 ? name.slice(dot) : ''
  if (extension === '' || byteLength(extension) > MAX_EXTENSION_BYTES) {
    return truncate(name, maxBytes)
  }
  return truncate(name.slice(0, dot), maxBytes - byteLength(extension)) + extension
}

/**
 * The longest prefix within `maxBytes` of UTF-8 that ends between user-perceived characters,
 * so no accent or emoji sequence is cut in half; a single character too long for the budget
 * (a pathological stack of combining marks) is cut between code points instead.
 */
function truncate(text: string, maxBytes: number): string {
  let result = ''
  let used = 0
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })
  for (const { segment } of graphemes.segment(text)) {
    const size = byteLength(segment)
    if (used + size <= maxBytes) {
      result += segment
      used += size
      continue
    }
    if (result !== '') break
    for (const codePoint of segment) {
      const codePointSize = byteLength(codePoint)
      if (used + codePointSize > maxBytes) break
      result += codePoint
      used += codePointSize
    }
    break
  }
  return result
}

function byteLength(text: string): number {
  return encoder.encode(text).length
}
