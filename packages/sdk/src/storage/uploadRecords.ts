import type { PreviousUpload } from 'tus-js-client'
import type { SavedHashState, UploadRecord } from './types.js'

export interface UrlStorageOptions {
  /**
   * Milliseconds a stored upload stays resumable; servers expire unfinished uploads too.
   * @default 604800000 (7 days)
   */
  ttl?: number
  /**
   * Most uploads kept; adding one more removes the oldest, so storage never runs out of quota.
   * @default 500
   */
  maxEntries?: number
  /**
   * Epoch milliseconds; tests pass a fake clock.
   * @default Date.now
   */
  clock?: () => number
}

export const defaultUrlStorageOptions = {
  ttl: 7 * 24 * 60 * 60 * 1000,
  maxEntries: 500,
  clock: (): number => Date.now(),
}

/**
 * The record to store for an upload tus-js-client hands to `addUpload`, with a fresh key.
 *
 * @example
 * const record = createUploadRecord(fingerprint, upload, { now: Date.now(), ttl: 86_400_000 })
 */
export function createUploadRecord(
  fingerprint: string,
  upload: PreviousUpload,
  { now, ttl }: { now: number; ttl: number },
): UploadRecord {
  const id = `${now.toString(36)}${Math.random().toString(36).slice(2, 10)}`
  return {
    ...upload,
    // tus-js-client leaves out whichever of the two URL fields it does not use.
    uploadUrl: upload.uploadUrl ?? null,
    parallelUploadUrls: upload.parallelUploadUrls ?? null,
    urlStorageKey: `${fingerprint}::${id}`,
    fingerprint,
    createdAt: now,
    expiresAt: now + ttl,
  }
}

/** The part of a record that tus-js-client reads back. */
export function toPreviousUpload(record: UploadRecord): PreviousUpload {
  const { fingerprint, createdAt, expiresAt, hashState, hashOffset, ...upload } = record
  return upload
}

/**
 * Uploads newest first. tus-js-client dates them with `Date#toString()` (to the second); among
 * those of the same second, the later one stored (the storages list them oldest first) comes first.
 */
export function newestFirst<T extends Pick<PreviousUpload, 'creationTime'>>(uploads: readonly T[]): T[] {
  const time = (upload: T) => Date.parse(upload.creationTime) || 0
  return [...uploads].reverse().sort((a, b) => time(b) - time(a))
}

/** Whether a record is still usable at `now`. */
export function isLive(record: Pick<UploadRecord, 'expiresAt'>, now: number): boolean {
  return record.expiresAt > now
}

/** The hash state kept in a record, if it holds a complete one. */
export function hashStateOf(
  record: UploadRecord | undefined,
  now: number,
): SavedHashState | undefined {
  if (!record || !isLive(record, now) || !record.hashState || record.hashOffset === undefined) {
    return undefined
  }
  return { state: record.hashState, offset: record.hashOffset }
}

/**
 * The records to delete so that none is expired and, after `adding` more, at most `maxEntries`
 * remain: every expired one, then the oldest live ones. Shared by every storage backend.
 *
 * @example
 * for (const record of recordsToRemove(all, { now, maxEntries: 500, adding: 1 })) remove(record)
 */
export function recordsToRemove<T extends Pick<UploadRecord, 'createdAt' | 'expiresAt'>>(
  records: readonly T[],
  { now, maxEntries, adding = 0 }: { now: number; maxEntries: number; adding?: number },
): T[] {
  const expired = records.filter((record) => !isLive(record, now))
  const live = records.filter((record) => isLive(record, now))
  const excess = Math.max(0, live.length + adding - maxEntries)
  const oldestFirst = live.sort((a, b) => a.createdAt - b.createdAt)
  return [...expired, ...oldestFirst.slice(0, excess)]
}
