import type { FileCategory } from './types.js'

const DOCUMENT_TYPES = new Set([
  'application/pdf',
  'application/rtf',
  'application/epub+zip',
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
])
const DOCUMENT_FAMILIES = [
  'application/vnd.openxmlformats-officedocument.',
  'application/vnd.oasis.opendocument.',
  'text/',
]
const ARCHIVE_TYPES = new Set([
  'application/zip',
  'application/x-zip-compressed',
  'application/gzip',
  'application/x-gzip',
  'application/x-tar',
  'application/x-7z-compressed',
  'application/x-rar-compressed',
  'application/vnd.rar',
  'application/x-bzip2',
  'application/x-xz',
  'application/zstd',
  'application/x-lzip',
  'application/x-compress',
  'application/x-cpio',
  'application/x-lzh-compressed',
])

/**
 * The folder of a promoted file, from its content type (parameters ignored): images, videos,
 * documents (PDF, office formats, text), archives, or others.
 * @example
 * categoryOf('image/png') // 'images'
 * categoryOf('application/vnd.openxmlformats-officedocument.wordprocessingml.document') // 'documents'
 */
export function categoryOf(contentType: string): FileCategory {
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase()
  if (type.startsWith('image/')) return 'images'
  if (type.startsWith('video/')) return 'videos'
  if (ARCHIVE_TYPES.has(type)) return 'archives'
  if (DOCUMENT_TYPES.has(type) || DOCUMENT_FAMILIES.some((family) => type.startsWith(family)))
    return 'documents'
  return 'others'
}
