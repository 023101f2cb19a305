import { ERROR_CODES, METADATA_KEYS, parseSha256Digest } from '@ferry/protocol'
import type { Upload } from '@tus/utils'
import type { Logger } from 'pino'
import { FerryHttpError } from '../errors.js'
import type { FileRecord, StorageBackend } from '../storage/types.js'
import { sha256OfStream } from './sha256OfStream.js'

export interface FinalizerOptions {
  backend: StorageBackend
  requireDigest: boolean
  logger: Logger
}

/**
 * Decides what a complete upload is: `verified`, `unverified` or `quarantined`, and records it.
 *
 * Runs when the request that completes an upload arrives, and again for a zero-length PATCH at the
 * final offset, which is how a client that lost the first answer (or resumed an upload that was
 * already complete) delivers its digest. A record that already holds the same digest is returned
 * without hashing the bytes again.
 */
export function createFinalizer({ backend, requireDigest, logger }: FinalizerOptions) {
  return async function finalize(upload: Upload, digestHeader: string | null): Promise<FileRecord> {
    const claimed = parseClaimedDigest(digestHeader)
    const existing = await backend.records.get(upload.id)
    if (existing?.state === 'quarantined') throw quarantinedError(upload.id)
    if (existing && (claimed === undefined || claimed === existing.sha256)) {
      if (claimed === undefined || existing.state === 'verified') return existing
      return save({ ...existing, state: 'verified' })
    }
    if (claimed === undefined && requireDigest) {
      throw new FerryHttpError(
        400,
        ERROR_CODES.digestMissing,
        `upload ${upload.id} is complete but this server requires a Repr-Digest header with its SHA-256`,
      )
    }

    const actual = existing?.sha256 ?? (await sha256OfStream(await backend.objects.read(backend.keyOf(upload.id))))
    const record: FileRecord = {
      id: upload.id,
      key: backend.keyOf(upload.id),
      size: upload.size ?? upload.offset,
      sha256: actual,
      type: upload.metadata?.[METADATA_KEYS.type] || 'application/octet-stream',
      name: upload.metadata?.[METADATA_KEYS.name] ?? null,
      state: claimed === undefined ? 'unverified' : claimed === actual ? 'verified' : 'quarantined',
      finishedAt: new Date().toISOString(),
    }
    if (record.state === 'quarantined') {
      await save({ ...record, claimedSha256: claimed })
      logger.warn({ uploadId: upload.id, claimed, actual }, 'upload quarantined: digest mismatch')
      throw new FerryHttpError(
        422,
        ERROR_CODES.digestMismatch,
        `SHA-256 of upload ${upload.id} is ${actual} but the client sent ${claimed}; ` +
          'the upload is quarantined and will not be served',
      )
    }
    return save(record)
  }

  async function save(record: FileRecord): Promise<FileRecord> {
    await backend.records.put(record)
    return record
  }
}

export function quarantinedError(id: string): FerryHttpError {
  return new FerryHttpError(
    410,
    ERROR_CODES.quarantined,
    `upload ${id} failed integrity verification and is quarantined; start a new upload`,
  )
}

function parseClaimedDigest(header: string | null): string | undefined {
  if (header === null) return undefined
  try {
    return parseSha256Digest(header)
  } catch (error) {
    throw new FerryHttpError(
      400,
      ERROR_CODES.digestInvalid,
      `Repr-Digest header is malformed (${(error as Error).message}): "${header}"`,
    )
  }
}
