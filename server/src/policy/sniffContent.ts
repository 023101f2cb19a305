import { fileTypeFromBuffer } from 'file-type/core'
import { PolicyError } from './errors.js'
import { canonicalType } from './tiers.js'
import { zipEntryNames } from './zipEntryNames.js'

/** Bytes from the start of a file that sniffing looks at; file-type needs no more. */
export const SNIFF_BYTES = 4100

/** A type recognised from a file's bytes. */
export interface SniffedType {
  /** MIME type, as file-type names it (RAR is `application/x-rar-compressed`). */
  mime: string
  /** Usual extension, without the dot. */
  ext: string
}

/** What `checkContent` compares. */
export interface ContentCheck {
  /** The type the client declared at creation. */
  declaredType: string
  /** The first `SNIFF_BYTES` of the upload, or all of it when it is shorter. */
  head: Uint8Array
  /** The client's filename, to name the upload in the error. */
  filename?: string | undefined
}

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
/** Refused whatever was declared and whatever a tier allows. */
const EXECUTABLES = new Set([
  'application/x-msdownload',
  'application/x-elf',
  'application/x-mach-binary',
])

/**
 * Recognises a file's type from its first bytes (magic numbers), with file-type.
 * @example
 * await sniffContent(head) // { mime: 'image/png', ext: 'png' }
 */
export async function sniffContent(head: Uint8Array): Promise<SniffedType | undefined> {
  const found = await fileTypeFromBuffer(head.subarray(0, SNIFF_BYTES))
  return found && { mime: found.mime, ext: found.ext }
}

/**
 * Refuses content that is not what was declared (415 `content-mismatch`): another type, no
 * recognisable type (an empty file included), or an executable, which is refused always. Async
 * because file-type reads ZIP entries through an async tokenizer.
 * @example
 * await checkContent({ declaredType: 'image/jpeg', head, filename: 'photo.jpg' })
 */
export async function checkContent(check: ContentCheck): Promise<void> {
  const { declaredType, head, filename } = check
  const subject = filename === undefined ? 'the upload' : JSON.stringify(filename)
  const refuse = (what: string, cause?: unknown): PolicyError =>
    new PolicyError(
      'content-mismatch',
      `content of ${subject} is ${what}, not the declared ${declaredType}`,
      cause === undefined ? {} : { cause },
    )
  let sniffed: SniffedType | undefined
  try {
    sniffed = await sniffContent(head)
  } catch (error) {
    // Bytes crafted to break the sniffer are refused, not answered with a 500.
    throw refuse('unreadable as any known type', error)
  }
  if (sniffed === undefined) throw refuse('of no recognised type')
  if (EXECUTABLES.has(sniffed.mime)) {
    throw new PolicyError(
      'content-mismatch',
      `content of ${subject} is ${sniffed.mime}, an executable, which is never accepted ` +
        `(declared ${declaredType})`,
    )
  }
  if (!isDeclaredType(canonicalType(declaredType), canonicalType(sniffed.mime), head)) {
    throw refuse(sniffed.mime)
  }
}

/**
 * Equal types match. Two containers stand for what they carry when sniffing cannot see more:
 * a DOCX is a ZIP, which file-type names `docx` only when `[Content_Types].xml` lies in the
 * head, so a ZIP whose first entries are OOXML package parts is taken as the declared DOCX; a
 * DOC is a Compound File, whose directory (naming a Word stream, or an Excel or MSI one) sits
 * anywhere in the file, so any Compound File is taken as the declared DOC.
 */
function isDeclaredType(declared: string, sniffed: string, head: Uint8Array): boolean {
  if (declared === sniffed) return true
  if (declared === DOCX && sniffed === 'application/zip') return hasOpenXmlParts(head)
  return declared === 'application/msword' && sniffed === 'application/x-cfb'
}

function hasOpenXmlParts(head: Uint8Array): boolean {
  return zipEntryNames(head.subarray(0, SNIFF_BYTES)).some(
    (name) => name === '[Content_Types].xml' || name === '_rels/.rels' || name.startsWith('word/'),
  )
}
