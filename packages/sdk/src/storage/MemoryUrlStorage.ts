import type { PreviousUpload } from 'tus-js-client'
import type { FerryUrlStorage, SavedHashState, UploadRecord } from './types.js'
import {
  createUploadRecord,
  defaultUrlStorageOptions,
  hashStateOf,
  isLive,
  recordsToRemove,
  toPreviousUpload,
  type UrlStorageOptions,
} from './uploadRecords.js'

/**
 * Keeps resumable uploads in memory, for as long as the page lives: the fallback where IndexedDB
 * is unavailable, and the reference the IndexedDB storage is tested against. Records are copied
 * in and out, as IndexedDB does, so callers cannot change what is stored by accident.
 *
 * @example
 * new FerryUpload(file, { endpoint, urlStorage: new MemoryUrlStorage() })
 */
export class MemoryUrlStorage implements FerryUrlStorage {
  readonly #records = new Map<string, UploadRecord>()
  readonly #options: typeof defaultUrlStorageOptions

  constructor(options: UrlStorageOptions = {}) {
    this.#options = { ...defaultUrlStorageOptions, ...options }
  }

  async findAllUploads(): Promise<PreviousUpload[]> {
    return this.#find(() => true)
  }

  async findUploadsByFingerprint(fingerprint: string): Promise<PreviousUpload[]> {
    return this.#find((record) => record.fingerprint === fingerprint)
  }

  async removeUpload(urlStorageKey: string): Promise<void> {
    this.#records.delete(urlStorageKey)
  }

  async addUpload(fingerprint: string, upload: PreviousUpload): Promise<string> {
    const { ttl, maxEntries, clock } = this.#options
    const now = clock()
    const stale = recordsToRemove([...this.#records.values()], { now, maxEntries, adding: 1 })
    for (const record of stale) this.#records.delete(record.urlStorageKey)
    const record = createUploadRecord(fingerprint, upload, { now, ttl })
    this.#records.set(record.urlStorageKey, structuredClone(record))
    return record.urlStorageKey
  }

  async saveHashState(urlStorageKey: string, state: Uint8Array, offset: number): Promise<void> {
    const record = this.#records.get(urlStorageKey)
    if (!record) return
    this.#records.set(urlStorageKey, { ...record, hashState: state.slice(), hashOffset: offset })
  }

  async loadHashState(urlStorageKey: string): Promise<SavedHashState | undefined> {
    return structuredClone(hashStateOf(this.#records.get(urlStorageKey), this.#options.clock()))
  }

  #find(matches: (record: UploadRecord) => boolean): PreviousUpload[] {
    const now = this.#options.clock()
    return [...this.#records.values()]
      .filter((record) => isLive(record, now) && matches(record))
      .map((record) => structuredClone(toPreviousUpload(record)))
  }
}
