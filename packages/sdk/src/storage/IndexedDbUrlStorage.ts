/**
 * Design note. One database (`ferry`), one object store (`uploads`) keyed by `urlStorageKey`, one
 * index (`fingerprint`). Each method is exactly one transaction whose requests are all issued in
 * callbacks, never after an `await`, so no transaction can auto-commit halfway. Pruning (expired
 * records, then the oldest beyond `maxEntries`) runs inside the same transaction as the add it
 * makes room for, so the cap holds even with several tabs writing at once; it runs on open too.
 * Reads skip expired records. It uses `globalThis.indexedDB`, never `window`, so it works in a
 * Worker. The decisions live in `uploadRecords.ts` and the Promise plumbing in `indexedDb.ts`;
 * this file only moves records between them.
 */
import type { PreviousUpload } from 'tus-js-client'
import { openDatabase, runTransaction, type TransactionWork } from './indexedDb.js'
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

export interface IndexedDbUrlStorageOptions extends UrlStorageOptions {
  /**
   * Name of the IndexedDB database.
   * @default 'ferry'
   */
  databaseName?: string
  /**
   * Milliseconds to wait for the database to open before giving up (some WebKit versions never
   * answer the first open).
   * @default 5000
   */
  openTimeout?: number
  /**
   * The IndexedDB factory to use.
   * @default globalThis.indexedDB
   */
  indexedDB?: IDBFactory
}

export const defaultIndexedDbUrlStorageOptions = {
  ...defaultUrlStorageOptions,
  databaseName: 'ferry',
  openTimeout: 5000,
}

type Options = typeof defaultIndexedDbUrlStorageOptions

/**
 * Keeps resumable uploads in IndexedDB, so an upload continues after a reload or a crash.
 * Create it with `IndexedDbUrlStorage.open()`, or let `createUrlStorage()` choose.
 *
 * @example
 * const urlStorage = await IndexedDbUrlStorage.open({ ttl: 24 * 60 * 60 * 1000 })
 */
export class IndexedDbUrlStorage implements FerryUrlStorage {
  readonly #db: IDBDatabase
  readonly #options: Options

  private constructor(db: IDBDatabase, options: Options) {
    this.#db = db
    this.#options = options
  }

  /** Opens the database and removes expired records; rejects where IndexedDB is unusable. */
  static async open(options: IndexedDbUrlStorageOptions = {}): Promise<IndexedDbUrlStorage> {
    const { indexedDB = globalThis.indexedDB, ...rest } = options
    const merged: Options = { ...defaultIndexedDbUrlStorageOptions, ...rest }
    const db = await openDatabase(indexedDB, merged)
    const storage = new IndexedDbUrlStorage(db, merged)
    try {
      await storage.#run<void>('readwrite', (store, done) => storage.#prune(store, 0, () => done()))
    } catch (error) {
      storage.close()
      throw error
    }
    return storage
  }

  findAllUploads(): Promise<PreviousUpload[]> {
    return this.#run('readonly', (store, done) => this.#live(store.getAll(), done))
  }

  findUploadsByFingerprint(fingerprint: string): Promise<PreviousUpload[]> {
    return this.#run('readonly', (store, done) =>
      this.#live(store.index('fingerprint').getAll(fingerprint), done),
    )
  }

  removeUpload(urlStorageKey: string): Promise<void> {
    return this.#run('readwrite', (store, done) => {
      store.delete(urlStorageKey)
      done(undefined)
    })
  }

  addUpload(fingerprint: string, upload: PreviousUpload): Promise<string> {
    const { ttl, clock } = this.#options
    const record = createUploadRecord(fingerprint, upload, { now: clock(), ttl })
    return this.#run('readwrite', (store, done) =>
      this.#prune(store, 1, () => {
        store.put(record)
        done(record.urlStorageKey)
      }),
    )
  }

  saveHashState(urlStorageKey: string, state: Uint8Array, offset: number): Promise<void> {
    return this.#run('readwrite', (store, done) => {
      const request = store.get(urlStorageKey) as IDBRequest<UploadRecord | undefined>
      request.onsuccess = () => {
        if (request.result) store.put({ ...request.result, hashState: state, hashOffset: offset })
        done(undefined)
      }
    })
  }

  loadHashState(urlStorageKey: string): Promise<SavedHashState | undefined> {
    return this.#run('readonly', (store, done) => {
      const request = store.get(urlStorageKey) as IDBRequest<UploadRecord | undefined>
      request.onsuccess = () => done(hashStateOf(request.result, this.#options.clock()))
    })
  }

  /** Closes the database connection; the storage is unusable afterwards. */
  close(): void {
    this.#db.close()
  }

  #run<T>(mode: IDBTransactionMode, work: TransactionWork<T>): Promise<T> {
    return runTransaction(this.#db, mode, work)
  }

  #live(request: IDBRequest<UploadRecord[]>, done: (uploads: PreviousUpload[]) => void): void {
    request.onsuccess = () => {
      const now = this.#options.clock()
      done(request.result.filter((record) => isLive(record, now)).map(toPreviousUpload))
    }
  }

  /** Deletes what `recordsToRemove` picks to make room for `adding` records, then calls `then`. */
  #prune(store: IDBObjectStore, adding: number, then: () => void): void {
    const { maxEntries, clock } = this.#options
    const request = store.getAll() as IDBRequest<UploadRecord[]>
    request.onsuccess = () => {
      const stale = recordsToRemove(request.result, { now: clock(), maxEntries, adding })
      for (const record of stale) store.delete(record.urlStorageKey)
      then()
    }
  }
}
