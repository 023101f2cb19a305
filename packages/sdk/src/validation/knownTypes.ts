/**
 * What the SDK knows about the types it can recognise by content: their extensions, and the broad
 * family each belongs to. Families decide whether a file's content agrees with its name: a PNG
 * named `.jpg` is still an image (browsers and the server cope), an executable named `.jpg` is not.
 */

/** Broad kinds of content; `media` joins audio and video because one MP4 container holds both. */
export type TypeFamily = 'image' | 'media' | 'text' | 'document' | 'archive' | 'executable'

export interface KnownType {
  mime: string
  family: TypeFamily
  /** Lower-case, without the dot; the first is the usual one. */
  extensions: readonly string[]
  /** Formats stored inside this container whose extension names them (a `.docx` is a ZIP). */
  carries?: readonly string[]
}

export const knownTypes: readonly KnownType[] = [
  { mime: 'image/jpeg', family: 'image', extensions: ['jpg', 'jpeg', 'jpe', 'jfif'] },
  { mime: 'image/png', family: 'image', extensions: ['png'] },
  { mime: 'image/gif', family: 'image', extensions: ['gif'] },
  { mime: 'image/webp', family: 'image', extensions: ['webp'] },
  { mime: 'image/avif', family: 'image', extensions: ['avif'] },
  { mime: 'image/heic', family: 'image', extensions: ['heic'] },
  { mime: 'image/heif', family: 'image', extensions: ['heif'] },
  { mime: 'application/pdf', family: 'document', extensions: ['pdf'] },
  { mime: 'video/mp4', family: 'media', extensions: ['mp4', 'm4v'] },
  { mime: 'audio/mp4', family: 'media', extensions: ['m4a', 'm4b'] },
  { mime: 'video/quicktime', family: 'media', extensions: ['mov', 'qt'] },
  { mime: 'video/3gpp', family: 'media', extensions: ['3gp'] },
  {
    mime: 'application/zip',
    family: 'archive',
    extensions: ['zip'],
    carries: ['docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp', 'odg', 'epub', 'jar', 'apk', 'xpi'],
  },
  { mime: 'application/vnd.rar', family: 'archive', extensions: ['rar'] },
  {
    mime: 'application/x-msdownload',
    family: 'executable',
    extensions: ['exe', 'dll', 'scr', 'sys'],
  },
  { mime: 'application/x-elf', family: 'executable', extensions: ['elf', 'so'] },
]

/** Other names that browsers and systems give the same types (Windows says `x-zip-compressed`). */
const mimeAliases: Readonly<Record<string, string>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'application/x-zip-compressed': 'application/zip',
  'application/x-rar-compressed': 'application/vnd.rar',
  'application/x-rar': 'application/vnd.rar',
  'application/vnd.microsoft.portable-executable': 'application/x-msdownload',
  'application/x-dosexec': 'application/x-msdownload',
  'application/x-msdos-program': 'application/x-msdownload',
  'application/x-executable': 'application/x-elf',
  'application/x-sharedlib': 'application/x-elf',
}

/** Lower-cases a MIME type, drops its parameters and maps aliases to one name. */
export function canonicalMime(mime: string): string {
  const bare = mime.split(';', 1)[0]?.trim().toLowerCase() ?? ''
  return mimeAliases[bare] ?? bare
}

/** The known type with this MIME type (aliases allowed). */
export function knownTypeByMime(mime: string): KnownType | undefined {
  const canonical = canonicalMime(mime)
  return knownTypes.find((type) => type.mime === canonical)
}

/** The known type whose extensions include this one (without the dot, any case). */
export function knownTypeByExtension(extension: string): KnownType | undefined {
  const lower = extension.toLowerCase()
  return knownTypes.find((type) => type.extensions.includes(lower))
}

/** The family of a MIME type, from the table or else from its top-level type. */
export function familyOfMime(mime: string): TypeFamily | undefined {
  const known = knownTypeByMime(mime)
  if (known) return known.family
  const top = canonicalMime(mime).split('/', 1)[0]
  if (top === 'image') return 'image'
  if (top === 'video' || top === 'audio') return 'media'
  if (top === 'text') return 'text'
  return undefined
}
