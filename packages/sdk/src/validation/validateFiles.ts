import { FerryError } from '../errors.js'
import {
  contentMismatch,
  declaredTypeOf,
  declaresNothing,
  isDeclaredTypeAllowed,
} from './matchTypes.js'
import { readHead, sniffType } from './sniffType.js'

export interface ValidationRules {
  /**
   * Largest file size in bytes.
   * @default Number.POSITIVE_INFINITY
   */
  maxFileSize?: number
  /**
   * Smallest file size in bytes.
   * @default 0
   */
  minFileSize?: number
  /**
   * Most files one `validateBatch` call accepts; the rest are rejected with `too-many-files`.
   * @default Number.POSITIVE_INFINITY
   */
  maxFiles?: number
  /**
   * MIME types (`application/pdf`), wildcards (`image/*`) or extensions (`.jpg`), as in an
   * `<input accept>` attribute. A file must declare one of them and its content must match one.
   * @default [] (any type)
   */
  allowedTypes?: readonly string[]
}

/** No limits: every file passes, except one whose content contradicts its name. */
export const defaultValidationRules = {
  maxFileSize: Number.POSITIVE_INFINITY,
  minFileSize: 0,
  maxFiles: Number.POSITIVE_INFINITY,
  allowedTypes: [] as readonly string[],
}

/** The codes of the errors that validation refuses a file with. */
export type ValidationErrorCode =
  | 'file-too-large'
  | 'file-too-small'
  | 'too-many-files'
  | 'type-not-allowed'
  | 'content-mismatch'
  | 'file-unreadable'

/** The outcome of `validateBatch`: files in their original order, each with why it was refused. */
export interface BatchValidation<T extends Blob> {
  accepted: T[]
  rejected: Array<{ file: T; error: FerryError }>
}

/**
 * Checks one file's size, declared type and content (its first bytes, read before anything is
 * sent). Rejects with a `FerryError` whose code is `file-too-large`, `file-too-small`,
 * `type-not-allowed`, `content-mismatch` or `file-unreadable`, and whose message names the file.
 *
 * @example
 * await validateFile(file, { maxFileSize: 10 * 1024 * 1024, allowedTypes: ['image/*'] })
 */
export async function validateFile(file: Blob, rules: ValidationRules = {}): Promise<void> {
  const { maxFileSize, minFileSize, allowedTypes } = { ...defaultValidationRules, ...rules }
  const checkedBy = JSON.stringify([maxFileSize, minFileSize, allowedTypes])
  if (passed.get(file) === checkedBy) return
  const name = nameOf(file)
  const amount = `${name} is ${formatBytes(file.size)}`
  if (file.size > maxFileSize) {
    throw refusal('file-too-large', `${amount}, over the limit of ${formatBytes(maxFileSize)}`)
  }
  if (file.size < minFileSize) {
    throw refusal('file-too-small', `${amount}, under the minimum of ${formatBytes(minFileSize)}`)
  }
  const declared = declaredTypeOf(file)
  const declaredAllowed = isDeclaredTypeAllowed(allowedTypes, declared)
  const notAllowed = `${name} is ${declared.mime || 'of unknown type'}, not an allowed type`
  // A Blob without name or type declares nothing: its content alone decides.
  const unclaimed = declaresNothing(declared)
  if (!declaredAllowed && !unclaimed) throw refusal('type-not-allowed', notAllowed)
  const sniffed = sniffType(await readHeadOf(file, name))
  if (!sniffed) {
    if (!declaredAllowed) throw refusal('type-not-allowed', notAllowed)
  } else {
    const mismatch = contentMismatch(allowedTypes, declared, sniffed)
    if (mismatch) {
      const code = unclaimed ? 'type-not-allowed' : 'content-mismatch'
      throw refusal(code, `${name} looks like ${sniffed.mime}, ${mismatch}`)
    }
  }
  passed.set(file, checkedBy)
}

/**
 * The rules each file last passed, so that checking it again by the same rules reads nothing:
 * the `Uploader` checks files as they are added, and each upload checks its file as it starts.
 * Reading a file's first bytes costs the page a synchronous call to the browser for the slice
 * (about 1 ms each under load in Chromium, measured in a queue of small files). Weak, so a
 * file no longer used is not kept.
 */
const passed = new WeakMap<Blob, string>()

/**
 * Checks each file as `validateFile` does, in order, and accepts at most `maxFiles` of them;
 * refused files do not count against that limit. Every refusal is in `rejected`; the Promise
 * rejects only on an error that is not a `FerryError`, which would be a bug.
 *
 * @example
 * const { accepted, rejected } = await validateBatch([...input.files], { maxFiles: 5 })
 * for (const { error } of rejected) showMessage(error.message)
 */
export async function validateBatch<T extends Blob>(
  files: Iterable<T>,
  rules: ValidationRules = {},
): Promise<BatchValidation<T>> {
  const { maxFiles } = { ...defaultValidationRules, ...rules }
  const result: BatchValidation<T> = { accepted: [], rejected: [] }
  for (const file of files) {
    if (result.accepted.length >= maxFiles) {
      const message = `${nameOf(file)} is over the limit of ${maxFiles} files`
      result.rejected.push({ file, error: refusal('too-many-files', message) })
      continue
    }
    try {
      await validateFile(file, rules)
      result.accepted.push(file)
    } catch (error) {
      if (!(error instanceof FerryError)) throw error
      result.rejected.push({ file, error })
    }
  }
  return result
}

async function readHeadOf(file: Blob, name: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await readHead(file)
  } catch (error) {
    // The browser refuses to read a file that changed or vanished on disk after it was picked.
    throw new FerryError(`${name} could not be read`, { code: 'file-unreadable', cause: error })
  }
}

function refusal(code: ValidationErrorCode, message: string): FerryError {
  return new FerryError(message, { code })
}

function nameOf(file: Blob): string {
  return (file as Partial<File>).name || 'the file'
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  const exponent = Math.min(Math.floor(Math.log2(Math.max(bytes, 1)) / 10), units.length - 1)
  const value = bytes / 1024 ** exponent
  return `${exponent === 0 ? value : value.toFixed(1).replace(/\.0$/, '')} ${units[exponent]}`
}
