import { ERROR_CODES, METADATA_KEYS, parseSha256Digest, type ProcessingState } from '@ferry/protocol'
import type { Upload } from '@tus/utils'
import type { Logger } from 'pino'
import { FerryHttpError } from '../errors.js'
import { ownerOf } from '../auth/ownership.js'
import { runPostHook } from '../hooks/runHooks.js'
import { createOwnerIndex } from '../storage/ownerIndex.js'
import { type FerryHooks, HookRejection } from '../hooks/types.js'
import { uploadInfo } from '../hooks/uploadInfo.js'
import type { Processing } from '../processing/createProcessing.js'
import type { Promotion } from '../promotion/createPromotion.js'
import type { FileRecord, StorageBackend } from '../storage/types.js'
import { sha256OfStream } from './sha256OfStream.js'
import type { StreamingDigests } from './createStreamingDigests.js'

export interface FinalizerOptions {
  backend: StorageBackend
  requireDigest: boolean
  logger: Logger
  hooks: FerryHooks
  /** Post-processing of accepted files; none when `undefined`. */
  processing?: Processing
  /** Names and stores accepted files under their canonical keys, before anything else sees them. */
  promotion?: Promotion
  /** Told once per newly accepted file (for metrics). */
  onAccepted?: (record: FileRecord) => void
  /** Hashes taken as the bytes arrived; without one (or with a gap) the bytes are read again. */
  digests?: StreamingDigests
  /** Told how the digest of a finished upload was obtained (for metrics). */
  onDigest?: (source: 'stream' | 'reread') => void
  /**
   * The upload policy's last word on a complete upload; a FerryHttpError it throws rejects the
   * upload (its bytes are removed) and is the client's answer.
   */
  admit?: (upload: Upload) => Promise<void>
}

export interface Finalized {
  record: FileRecord
  processing: ProcessingState
}

/**
 * Decides what a complete upload is (`verified`, `unverified`, `quarantined` or `rejected`),
 * records it, and hands accepted files to post-processing.
 *
 * Runs when the request that completes an upload arrives, and again for a zero-length PATCH at the
 * final offset, which is how a client that lost the first answer (or resumed an upload that was
 * already complete) delivers its digest. A record that already holds the same digest is returned
 * without hashing the bytes again, and processing is never queued twice.
 */
export function createFinalizer({
  backend,
  requireDigest,
  logger,
  hooks,
  processing,
  promotion,
  onAccepted,
  digests,
  onDigest,
  admit,
}: FinalizerOptions) {
  const owners = createOwnerIndex(backend.documents)
  // Promotion comes first, so the owner index, processing and hooks all see the canonical key;
  // when it fails the file is not accepted yet, and the next finish retries it.
  const accept = async (saved: FileRecord, request: Request | undefined): Promise<Finalized> => {
    const record = promotion ? await promotion.promote(saved, request) : saved
    await owners.add(record)
    return { record, processing: processing ? await processing.trigger(record) : 'none' }
  }

  return async function finalize(
    upload: Upload,
    digestHeader: string | null,
    request?: Request,
  ): Promise<Finalized> {
    const claimed = parseClaimedDigest(digestHeader)
    const existing = await backend.records.get(upload.id)
    if (existing?.state === 'quarantined') throw quarantinedError(upload.id)
    if (existing?.state === 'rejected') throw rejectedError(existing)
    if (existing && (claimed === undefined || claimed === existing.sha256)) {
      const current =
        claimed === undefined || existing.state === 'verified' ? existing : await save({ ...existing, state: 'verified' })
      return current.acceptedAt ? accept(current, request) : announce(current, request)
    }
    if (existing && claimed !== undefined) return refuseLateMismatch(existing, claimed)
    if (claimed === undefined && requireDigest) {
      throw new FerryHttpError(
        400,
        ERROR_CODES.digestMissing,
        `upload ${upload.id} is complete but this server requires a Repr-Digest header with its SHA-256`,
      )
    }

    const actual = await digestOf(upload, request)
    const record: FileRecord = {
      id: upload.id,
      key: backend.keyOf(upload.id),
      size: upload.size ?? upload.offset,
      sha256: actual,
      type: upload.metadata?.[METADATA_KEYS.type] || 'application/octet-stream',
      name: upload.metadata?.[METADATA_KEYS.name] ?? null,
      owner: ownerOf(upload),
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

    try {
      await admit?.(upload)
    } catch (error) {
      if (!(error instanceof FerryHttpError)) throw error
      await save({ ...record, state: 'rejected', reason: error.message.replace(/^ferry-server: /, '') })
      await backend.datastore.remove(upload.id).catch(() => undefined)
      logger.info({ uploadId: upload.id, reason: error.message }, 'upload rejected by the upload policy')
      throw error
    }

    try {
      const { finishedAt: _finishedAt, owner: _owner, ...file } = record
      await hooks['pre-finish']?.({ request, upload: uploadInfo(upload), file })
    } catch (error) {
      if (!(error instanceof HookRejection)) throw error
      const rejected = await save({ ...record, state: 'rejected', reason: error.message })
      logger.info({ uploadId: upload.id, reason: error.message }, 'upload rejected by a pre-finish hook')
      throw rejectedError(rejected, error.status)
    }

    return announce(await save(record), request)
  }

  /** Accepts a file for the first time: metrics and `post-finish` hear of it exactly once. */
  async function announce(record: FileRecord, request: Request | undefined): Promise<Finalized> {
    const accepted = await accept(record, request)
    const finalized = { ...accepted, record: await save({ ...accepted.record, acceptedAt: new Date().toISOString() }) }
    onAccepted?.(finalized.record)
    const { finishedAt: _finishedAt, owner: _owner, acceptedAt: _acceptedAt, ...file } = finalized.record
    await runPostHook(hooks, 'post-finish', { file: { ...file, processing: finalized.processing } }, logger)
    return finalized
  }

  /**
   * A digest that differs from the one a finished file was judged by. A verified file stays as it
   * is (its bytes matched the digest sent with them; this claim is the client's mistake); an
   * unverified one is quarantined, where its bytes were stored and promoted.
   */
  async function refuseLateMismatch(existing: FileRecord, claimed: string): Promise<never> {
    if (existing.state !== 'verified') {
      await save({ ...existing, state: 'quarantined', claimedSha256: claimed })
      logger.warn({ uploadId: existing.id, claimed, actual: existing.sha256 }, 'upload quarantined: late digest mismatch')
    }
    throw new FerryHttpError(
      422,
      ERROR_CODES.digestMismatch,
      `SHA-256 of upload ${existing.id} is ${existing.sha256} but the client sent ${claimed}` +
        (existing.state === 'verified' ? '; the file stays as it was verified' : '; the upload is quarantined and will not be served'),
    )
  }

  async function save(record: FileRecord): Promise<FileRecord> {
    await backend.records.put(record)
    await digests?.forget(record.id)
    return record
  }

  async function digestOf(upload: Upload, request: Request | undefined): Promise<string> {
    const streamed = await digests?.digestOf(upload, request)
    if (streamed !== undefined) {
      onDigest?.('stream')
      return streamed
    }
    onDigest?.('reread')
    logger.debug({ uploadId: upload.id }, 'no complete streaming hash: reading the upload again')
    return sha256OfStream(await backend.objects.read(backend.keyOf(upload.id)))
  }
}

export function quarantinedError(id: string): FerryHttpError {
  return new FerryHttpError(
    410,
    ERROR_CODES.quarantined,
    `upload ${id} failed integrity verification and is quarantined; start a new upload`,
  )
}

export function rejectedError(record: FileRecord, status = 410): FerryHttpError {
  return new FerryHttpError(status, ERROR_CODES.rejected, `upload ${record.id} was rejected: ${record.reason ?? 'by the server'}`)
}

/** The hex SHA-256 a `Repr-Digest` header claims; a malformed one is a 400 `digest-invalid`. */
export function parseClaimedDigest(header: string | null): string | undefined {
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
