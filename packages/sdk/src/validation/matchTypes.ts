import { canonicalMime, familyOfMime, knownTypeByExtension, knownTypeByMime } from './knownTypes.js'
import type { SniffedType } from './sniffType.js'

/** What a file says it is: its `type` (canonical, '' when empty) and its name's extension. */
export interface DeclaredType {
  mime: string
  /** Lower-case, without the dot; '' when the name has none. */
  extension: string
}

/** The type and extension a File declares; a bare Blob declares only its `type`. */
export function declaredTypeOf(file: Blob): DeclaredType {
  const name = (file as Partial<File>).name ?? ''
  const dot = name.lastIndexOf('.')
  // A leading dot starts a hidden file's name (`.env`), not an extension.
  const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : ''
  return { mime: canonicalMime(file.type), extension }
}

/**
 * Whether the declared type or extension matches one of `allowedTypes` (MIME types, `type/*`
 * wildcards, or `.ext` extensions, as in an `<input accept>` attribute). An empty list allows all.
 */
export function isDeclaredTypeAllowed(
  allowedTypes: readonly string[],
  declared: DeclaredType,
): boolean {
  return allows(allowedTypes, declared.mime, declared.extension ? [declared.extension] : [])
}

/**
 * Why sniffed content does not fit the declared type and `allowedTypes`, or `undefined` when it
 * does. The result completes a sentence: `photo.jpg looks like <mime>, <reason>`.
 */
export function contentMismatch(
  allowedTypes: readonly string[],
  declared: DeclaredType,
  sniffed: SniffedType,
): string | undefined {
  const known = knownTypeByMime(sniffed.mime)
  // A ZIP named .docx is a .docx as far as bytes can tell; the name is the more specific claim.
  if (known?.carries?.includes(declared.extension)) return undefined
  if (!allows(allowedTypes, sniffed.mime, known?.extensions ?? [sniffed.extension])) {
    return 'not an allowed type'
  }
  const declaredFamily = declaredFamilyOf(declared)
  if (declaredFamily && declaredFamily !== familyOfMime(sniffed.mime)) {
    const claim = declared.extension ? `.${declared.extension}` : declared.mime
    return `not what its name says (${claim})`
  }
  return undefined
}

/** Whether a file declares nothing at all, so only its content can say what it is. */
export function declaresNothing(declared: DeclaredType): boolean {
  return declared.mime === '' && declared.extension === ''
}

function declaredFamilyOf({ mime, extension }: DeclaredType) {
  return (extension && knownTypeByExtension(extension)?.family) || familyOfMime(mime)
}

function allows(allowedTypes: readonly string[], mime: string, extensions: readonly string[]) {
  if (allowedTypes.length === 0) return true
  return allowedTypes.some((entry) => {
    const pattern = entry.trim().toLowerCase()
    if (pattern === '*' || pattern === '*/*') return true
    if (pattern.startsWith('.')) return extensions.includes(pattern.slice(1))
    if (pattern.endsWith('/*')) return mime.startsWith(pattern.slice(0, -1))
    return canonicalMime(pattern) === mime
  })
}
