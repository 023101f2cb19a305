import { FerryError } from '../errors.js'
import {
  defaultValidationRules,
  validateBatch,
  type ValidationRules,
} from '../validation/validateFiles.js'
import type { FileEntry } from './QueuedFile.js'

export interface EntryValidation {
  accepted: FileEntry[]
  rejected: Array<{ entry: FileEntry; error: FerryError }>
}

/**
 * Checks a batch of queued files with `validateBatch`, where `maxFiles` also counts the files
 * the queue already holds (`alreadyQueued`). Never rejects: an unexpected failure refuses the
 * whole batch with that error.
 *
 * @example
 * const { accepted, rejected } = await validateEntries(entries, { rules, alreadyQueued: 3 })
 */
export async function validateEntries(
  entries: readonly FileEntry[],
  { rules, alreadyQueued }: { rules: ValidationRules; alreadyQueued: number },
): Promise<EntryValidation> {
  const { maxFiles } = { ...defaultValidationRules, ...rules }
  const room = Math.max(0, maxFiles - alreadyQueued)
  try {
    const outcome = await validateBatch(
      entries.map((entry) => entry.file),
      { ...rules, maxFiles: room },
    )
    // The same Blob may be added twice; both lists keep the batch's order, so take them in turn.
    const byFile = new Map<Blob, FileEntry[]>()
    for (const entry of entries) {
      const same = byFile.get(entry.file)
      if (same) same.push(entry)
      else byFile.set(entry.file, [entry])
    }
    const take = (file: Blob) => byFile.get(file)?.shift() as FileEntry
    const overLimit = (error: FerryError) => alreadyQueued > 0 && error.code === 'too-many-files'
    return {
      accepted: outcome.accepted.map(take),
      rejected: outcome.rejected.map(({ file, error }) => ({
        entry: take(file),
        error: overLimit(error) ? tooMany(file, maxFiles, error) : error,
      })),
    }
  } catch (error) {
    const message = 'the files could not be validated'
    const failure = new FerryError(message, { code: 'file-unreadable', cause: error })
    return { accepted: [], rejected: entries.map((entry) => ({ entry, error: failure })) }
  }
}

/** `validateBatch` only saw this batch: say what the limit is for the whole queue. */
function tooMany(file: Blob, maxFiles: number, cause: FerryError): FerryError {
  const name = (file as Partial<File>).name || 'the file'
  return new FerryError(`${name} is over the limit of ${maxFiles} files in the queue`, {
    code: 'too-many-files',
    cause,
  })
}
