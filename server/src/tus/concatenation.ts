import { randomBytes } from 'node:crypto'
import { ERROR_CODES } from '@ferry/protocol'
import { type DataStore, type Locker, Upload } from '@tus/utils'
import type { Logger } from 'pino'
import { OWNER_METADATA_KEY, ownerOf } from '../auth/ownership.js'
import { FerryHttpError } from '../errors.js'
import { rejectedError } from '../integrity/createFinalizer.js'
import type { StorageBackend } from '../storage/types.js'

/**
 * The tus concatenation extension. @tus/server lacks it, so Ferry handles the final upload itself:
 * a partial upload is an ordinary tus upload whose metadata marks it `partial` (it is not verified,
 * processed or served on its own); a final upload is created here with the partials' total
 * length, and assembled by appending each partial's bytes through the store's own `write`, in
 * order, as soon as every partial is complete, which may be after the final was declared. On S3
 * a partial becomes a part of the final by server-side copy where S3 allows (a part of at least
 * 5 MiB, or the last), so its bytes never pass through Node. The partials are removed once
 * assembled (the extension lets a server do so), leaving a marker of which final each joined.
 *
 * The markers make a final's creation safe to send again, as a client does when the answer to
 * the first was lost: the partials still answer HEAD as complete (so tus-js-client does not
 * upload them again), and the same list of partials, from the same owner, is answered with the
 * final upload already made from them instead of a second file.
 */
export const CONCAT_METADATA_KEY = 'ferry-concat'
const PENDING_PREFIX = 'concat/pending/'
const JOINED_PREFIX = 'concat/joined/'

/** What is left of a partial upload once it is in its final upload. */
export interface JoinedPartial {
  partialId: string
  finalId: string
  owner: string
  size: number
  joinedAt: string
}

export interface PendingFinal {
  finalId: string
  partialIds: string[]
  /** The `Repr-Digest` the client sent when it declared the final upload. */
  digest: string | null
}

/** Reads `final;<url> <url>…` into upload ids; throws 400 for anything else. */
export function parseFinalConcat(header: string, tusPath: string): string[] {
  const match = /^final;(.+)$/.exec(header.trim())
  const urls = match?.[1]?.trim().split(/\s+/) ?? []
  if (urls.length === 0) {
    throw new FerryHttpError(400, ERROR_CODES.concatInvalid, `Upload-Concat must be "partial" or "final;<url> <url>…", got "${header}"`)
  }
  const ids = urls.map((url) => {
    const path = new URL(url, 'http://x').pathname
    const id = path.startsWith(`${tusPath}/`) ? path.slice(tusPath.length + 1) : ''
    if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new FerryHttpError(400, ERROR_CODES.concatInvalid, `"${url}" is not an upload URL of this server`)
    return id
  })
  // The spec allows it, but here a partial joins one final once (its bytes move into it).
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index)
  if (repeated) {
    throw new FerryHttpError(400, ERROR_CODES.concatInvalid, `partial upload "${repeated}" is named twice in Upload-Concat`)
  }
  return ids
}

/** How long work on a final upload waits for other work on the same one before 423. */
const FINAL_LOCK_WAIT_MS = 20_000

export interface ConcatenationOptions {
  backend: StorageBackend
  logger: Logger
  /** The upload locker (shared by every instance when they coordinate through Redis). */
  locker: Locker
  /** Called once the final upload holds every byte: verify, record, process. */
  onAssembled: (final: Upload, digest: string | null) => Promise<void>
  /** Called for each partial upload removed once its bytes are in the final (to drop its hash state). */
  onPartialRemoved?: (id: string) => Promise<void>
}

/**
 * A store that appends another object's bytes without reading them (S3's UploadPartCopy); it
 * answers undefined when it cannot for those bytes, which are then written as usual.
 */
interface ServerSideCopy {
  appendCopy(id: string, offset: number, source: { key: string; start: number; end: number }): Promise<number | undefined>
}

const canCopy = (store: DataStore): store is DataStore & ServerSideCopy => 'appendCopy' in store

export function createConcatenation({ backend, logger, locker, onAssembled, onPartialRemoved }: ConcatenationOptions) {
  const { datastore, documents } = backend
  const copier = canCopy(datastore) ? datastore : undefined
  const assembling = new Set<string>()

  /** `owner`: only that user's uploads exist; anyone else's are answered as missing, first. */
  async function partialsOf(ids: string[], owner?: string): Promise<Upload[]> {
    return Promise.all(
      ids.map(async (id) => {
        const missing = () => new FerryHttpError(404, ERROR_CODES.notFound, `partial upload "${id}" does not exist`)
        const upload = await datastore.getUpload(id).catch(() => {
          throw missing()
        })
        if (owner !== undefined && ownerOf(upload) !== owner) throw missing()
        if (upload.metadata?.[CONCAT_METADATA_KEY] !== 'partial') {
          throw new FerryHttpError(400, ERROR_CODES.concatInvalid, `upload "${id}" was not created as a partial upload`)
        }
        if (upload.size === undefined) {
          throw new FerryHttpError(400, ERROR_CODES.concatInvalid, `partial upload "${id}" has no length yet`)
        }
        return upload
      }),
    )
  }

  /**
   * A partial waiting in another final would be removed when that one is assembled, leaving this
   * one waiting for ever: it may join one final only.
   */
  async function refuseClaimed(partialIds: string[]): Promise<void> {
    for (const path of await documents.list(PENDING_PREFIX)) {
      const pending = await documents.get<PendingFinal>(path)
      const taken = partialIds.find((id) => pending?.partialIds.includes(id))
      if (taken) {
        throw new FerryHttpError(409, ERROR_CODES.concatInvalid, `partial upload "${taken}" is already part of final upload ${pending?.finalId}`)
      }
    }
  }

  /** The final holds their bytes and the markers are written: the partials can go. */
  async function releasePartials(pending: PendingFinal): Promise<void> {
    await documents.delete(`${PENDING_PREFIX}${pending.finalId}.json`)
    for (const id of pending.partialIds) {
      await datastore.remove(id).catch(() => undefined)
      await onPartialRemoved?.(id).catch(() => undefined)
    }
  }

  /** Appends the partials to the final upload in order, once all are complete. */
  async function assembleIfReady(pending: PendingFinal, notify: boolean): Promise<boolean> {
    if (assembling.has(pending.finalId)) return false
    const partials = await partialsOf(pending.partialIds)
    if (partials.some((part) => part.offset !== part.size)) return false
    assembling.add(pending.finalId)
    try {
      let offset = (await datastore.getUpload(pending.finalId)).offset
      let position = 0
      for (const part of partials) {
        const size = part.size ?? 0
        // A retried assembly skips what an earlier, interrupted one already appended.
        if (offset < position + size) {
          const start = offset > position ? offset - position : 0
          const source = { key: backend.keyOf(part.id), start, end: size - 1 }
          const copied = copier ? await copier.appendCopy(pending.finalId, offset, source) : undefined
          if (copied !== undefined) {
            offset = copied
          } else {
            const range = start > 0 ? { start, end: size - 1 } : undefined
            const stream = await backend.objects.read(source.key, size === 0 ? undefined : range)
            offset = await datastore.write(stream, pending.finalId, offset)
          }
        }
        position += size
      }
      const joinedAt = new Date().toISOString()
      for (const part of partials) {
        const joined: JoinedPartial = { partialId: part.id, finalId: pending.finalId, owner: ownerOf(part), size: part.size ?? 0, joinedAt }
        await documents.put(`${JOINED_PREFIX}${part.id}.json`, joined)
      }
      await releasePartials(pending)
      if (notify) await onAssembled(await datastore.getUpload(pending.finalId), pending.digest)
      return true
    } finally {
      assembling.delete(pending.finalId)
    }
  }

  /**
   * The marker of a partial upload joined into a final upload that still exists, or that was
   * refused once assembled (its bytes removed, its record kept): a repeated creation is answered
   * with that refusal. A marker whose final was deleted (terminated, or through the file API)
   * goes now: its partial is gone too.
   */
  async function joinedPartial(id: string): Promise<JoinedPartial | undefined> {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) return undefined
    const path = `${JOINED_PREFIX}${id}.json`
    const joined = await documents.get<JoinedPartial>(path).catch(() => undefined)
    if (!joined) return undefined
    const finalGone = await datastore.getUpload(joined.finalId).then(
      () => false,
      (error: { status_code?: number }) => error?.status_code === 404 || error?.status_code === 410,
    )
    if (!finalGone || (await refusedFinal(joined.finalId))) return joined
    await documents.delete(path).catch(() => undefined)
    return undefined
  }

  /** The record of a final upload that the finish refused (policy or pre-finish hook), if it was. */
  async function refusedFinal(finalId: string) {
    const record = await backend.records.get(finalId).catch(() => undefined)
    return record?.state === 'rejected' ? record : undefined
  }

  /**
   * The final upload that this owner already created from exactly these partials, in this order,
   * if any: a creation sent again because its answer was lost. `assembled` is false while it
   * still waits for its partials.
   */
  async function createdBefore(
    partialIds: string[],
    owner: string,
    digest: string | null,
  ): Promise<{ final: Upload; assembled: boolean } | undefined> {
    const same = (final: Upload) =>
      ownerOf(final) === owner && final.metadata?.[CONCAT_METADATA_KEY] === `final;${partialIds.join(' ')}`
    const joined = await Promise.all(partialIds.map(joinedPartial))
    const finalId = joined[0]?.finalId
    if (finalId !== undefined && joined.every((part) => part?.finalId === finalId && part.owner === owner)) {
      const final = await datastore.getUpload(finalId).catch(() => undefined)
      if (!final) {
        // Refused once assembled: the repeat learns why, as the first creation did.
        const refused = await refusedFinal(finalId)
        if (refused && refused.owner === owner) throw rejectedError(refused, 410)
        return undefined
      }
      if (!same(final)) return undefined
      // An assembly that stopped after writing the markers left its pending final and partials.
      const leftover = await documents.get<PendingFinal>(`${PENDING_PREFIX}${finalId}.json`).catch(() => undefined)
      if (leftover) await releasePartials(leftover)
      return { final, assembled: true }
    }
    for (const path of await documents.list(PENDING_PREFIX)) {
      const waiting = await documents.get<PendingFinal>(path)
      if (waiting?.partialIds.join(' ') !== partialIds.join(' ')) continue
      const final = await datastore.getUpload(waiting.finalId).catch(() => undefined)
      if (!final || !same(final)) continue
      // Not assembled yet, so it will be checked against the first one's digest: a repeat must
      // claim the same. (Once assembled, the finish compares a repeat's digest itself.)
      if (waiting.digest !== digest) {
        throw new FerryHttpError(409, ERROR_CODES.concatInvalid, `final upload ${final.id} was declared from these partial uploads with another Repr-Digest`)
      }
      const partials = await partialsOf(partialIds, owner)
      if (partials.some((part) => part.offset !== part.size)) return { final, assembled: false }
      // Every partial is in: the first creation is joining them now (or stopped half-way).
      if (await assembleIfReady(waiting, false)) return { final: await datastore.getUpload(final.id), assembled: true }
      throw new FerryHttpError(423, ERROR_CODES.concatAssembling, `final upload ${final.id} is being assembled from these partial uploads; try again shortly`, {
        headers: { 'Retry-After': '1' },
      })
    }
    return undefined
  }

  /**
   * Runs `work` on the final upload made of `partialIds` while no other process or request works
   * on it: a creation and its repeat (its answer was lost, or the client gave up waiting), or a
   * creation and the late assembly that a partial's last PATCH starts. Each finds what the other
   * made, never assembles or finishes it a second time beside it.
   */
  async function exclusively<T>(partialIds: string[], work: () => Promise<T>): Promise<T> {
    // Every partial's lock, in one order: two finals that share any partial (two creations that
    // both name it) never check and claim it at the same time, and never wait on each other.
    const locks = [...new Set(partialIds)].sort().map((id) => locker.newLock(`concat-final:${id}`))
    const held: typeof locks = []
    const deadline = AbortSignal.timeout(FINAL_LOCK_WAIT_MS)
    try {
      for (const lock of locks) {
        await lock.lock(deadline, () => {}).catch(() => {
          throw new FerryHttpError(423, ERROR_CODES.concatAssembling, 'a final upload is being made from these partial uploads; try again shortly', {
            headers: { 'Retry-After': '1' },
          })
        })
        held.push(lock)
      }
      return await work()
    } finally {
      for (const lock of held.reverse()) await lock.unlock()
    }
  }

  return {
    exclusively,
    joinedPartial,
    /**
     * Creates a final upload from partial upload ids; assembles it now when they are complete.
     * `vet` sees the final's length before anything is created and returns the metadata to store
     * (or refuses); only the owner's own partial uploads can be joined, and each into one final.
     * The same creation sent again (its answer was lost) gets the same final upload.
     */
    async createFinal(
      partialIds: string[],
      owner: string,
      vet: (size: number) => Record<string, string | null>,
      digest: string | null,
    ) {
      const earlier = await createdBefore(partialIds, owner, digest)
      if (earlier) return earlier
      const partials = await partialsOf(partialIds, owner)
      await refuseClaimed(partialIds)
      const size = partials.reduce((sum, part) => sum + (part.size ?? 0), 0)
      const metadata = vet(size)
      const final = new Upload({
        id: randomBytes(16).toString('hex'),
        size,
        offset: 0,
        metadata: { ...metadata, [OWNER_METADATA_KEY]: owner, [CONCAT_METADATA_KEY]: `final;${partialIds.join(' ')}` },
      })
      await datastore.create(final)
      const pending: PendingFinal = { finalId: final.id, partialIds, digest }
      await documents.put(`${PENDING_PREFIX}${final.id}.json`, pending)
      // The caller answers the creation request with the verdict, so it is not notified here.
      const assembled = await assembleIfReady(pending, false)
      return { final: await datastore.getUpload(final.id), assembled }
    },
    /**
     * An upload was deleted. A final's record of the partials it waits for goes with it (they may
     * then join another final); a final that waits for a deleted partial can never be assembled,
     * so it is deleted too.
     */
    async uploadDeleted(id: string): Promise<void> {
      for (const path of await documents.list(PENDING_PREFIX)) {
        const pending = await documents.get<PendingFinal>(path)
        if (!pending || (pending.finalId !== id && !pending.partialIds.includes(id))) continue
        await documents.delete(path)
        if (pending.finalId === id) continue
        await datastore.remove(pending.finalId).catch(() => undefined)
        logger.info({ finalId: pending.finalId, partialId: id }, 'a final upload waiting for a deleted partial upload was deleted with it')
      }
    },
    /** A partial upload completed: assemble every final that was waiting for it. */
    async partialCompleted(partialId: string): Promise<void> {
      for (const path of await documents.list(PENDING_PREFIX)) {
        const pending = await documents.get<PendingFinal>(path)
        if (!pending?.partialIds.includes(partialId)) continue
        await exclusively(pending.partialIds, () => assembleIfReady(pending, true)).catch((error: unknown) =>
          logger.error({ err: error, finalId: pending.finalId }, 'assembling a final upload failed'),
        )
      }
    },
  }
}

export type Concatenation = ReturnType<typeof createConcatenation>

/**
 * Removes the markers of partial uploads joined more than `maxAgeMs` ago: a lost answer is sent
 * again within the upload's expiry or not at all. Returns how many were removed.
 */
export async function removeStaleJoinMarkers(documents: StorageBackend['documents'], maxAgeMs: number): Promise<number> {
  const cutoff = Date.now() - maxAgeMs
  let removed = 0
  for (const path of await documents.list(JOINED_PREFIX)) {
    const joined = await documents.get<JoinedPartial>(path).catch(() => undefined)
    if (joined && Date.parse(joined.joinedAt) > cutoff) continue
    await documents.delete(path)
    removed++
  }
  return removed
}

/**
 * Removes the records of finals that no longer exist (expired before their partials finished, or
 * removed by hand): nothing would ever assemble them, and their partials could join no other.
 * Returns how many were removed.
 */
export async function removeOrphanedPendingFinals(backend: StorageBackend): Promise<number> {
  let removed = 0
  for (const path of await backend.documents.list(PENDING_PREFIX)) {
    const pending = await backend.documents.get<PendingFinal>(path).catch(() => undefined)
    if (!pending) continue
    const gone = await backend.datastore.getUpload(pending.finalId).then(
      () => false,
      (error: { status_code?: number }) => error?.status_code === 404 || error?.status_code === 410,
    )
    if (!gone) continue
    await backend.documents.delete(path)
    removed++
  }
  return removed
}
