import { createHash } from 'node:crypto'
import type { FileCategory } from './types.js'

/** Everything a canonical key is made of. */
export interface CanonicalKeyParts {
  /** The uploader's user id, as authentication gave it. */
  user: string
  category: FileCategory
  /** When the upload finished; the key's date is its UTC day. */
  finishedAt: Date
  /** The tus upload id. */
  id: string
  /** With its dot, or `''`. */
  extension: string
}

export const CANONICAL_PREFIX = 'uploads/'
const LONGEST_USER_SEGMENT = 128
const CANONICAL_KEY = /^uploads\/[^/]+\/[a-z]+\/\d{4}\/\d{2}\/\d{2}\/([^/.]+)(\.[a-z0-9]+)?$/

/**
 * `uploads/{user}/{category}/{yyyy}/{mm}/{dd}/{id}{ext}`: one place per file that says whose it
 * is, what it is and when it came, the same on S3 and below the disk store's data dir.
 * @example
 * canonicalKeyOf({ user: 'alice', category: 'images', finishedAt: new Date('2026-11-28T12:00:00Z'), id: 'abc', extension: '.png' })
 * // 'uploads/alice/images/2026/11/28/abc.png'
 */
export function canonicalKeyOf({
  user,
  category,
  finishedAt,
  id,
  extension,
}: CanonicalKeyParts): string {
  const yyyy = String(finishedAt.getUTCFullYear()).padStart(4, '0')
  const mm = String(finishedAt.getUTCMonth() + 1).padStart(2, '0')
  const dd = String(finishedAt.getUTCDate()).padStart(2, '0')
  return `${CANONICAL_PREFIX}${userSegmentOf(user)}/${category}/${yyyy}/${mm}/${dd}/${id}${extension}`
}

/**
 * A user id as one safe path segment, the same for the same id: letters, digits, `-`, `_` and
 * `.` stay, everything else is percent-encoded (so `auth0|42` or `a/b` cannot add a level or
 * climb out, and `.`/`..` cannot either), and very long ids become a hash.
 * @example
 * userSegmentOf('auth0|42') // 'auth0%7C42'
 */
export function userSegmentOf(user: string): string {
  const encoded = Array.from(new TextEncoder().encode(user), (byte) => {
    const character = String.fromCharCode(byte)
    return /[A-Za-z0-9_-]/.test(character)
      ? character
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }).join('')
  // A dot inside a name is harmless and common (`jane.doe`); only a leading one could form `.`/`..`.
  const segment = encoded.replace(/%2E/g, '.').replace(/^\./, '%2E')
  if (segment === '') return '%00'
  if (segment.length <= LONGEST_USER_SEGMENT) return segment
  return `sha256-${createHash('sha256').update(user).digest('hex')}`
}

/**
 * The upload id in a canonical key, or `undefined` for any other key.
 * @example
 * uploadIdOfCanonicalKey('uploads/alice/images/2026/11/28/abc.png') // 'abc'
 */
export function uploadIdOfCanonicalKey(key: string): string | undefined {
  return CANONICAL_KEY.exec(key)?.[1]
}
