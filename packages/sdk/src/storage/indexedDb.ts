/**
 * IndexedDB's requests and events as Promises, for `IndexedDbUrlStorage`: opening the database
 * with its schema, and running one transaction.
 */
import { FerryError } from '../errors.js'

/** The object store of resumable uploads, keyed by `urlStorageKey`, indexed by `fingerprint`. */
const storeName = 'uploads'

/**
 * Opens (creating at version 1) the database of resumable uploads. Rejects when IndexedDB throws,
 * fails, or does not answer within `openTimeout` milliseconds.
 */
export function openDatabase(
  factory: IDBFactory | undefined,
  { databaseName, openTimeout }: { databaseName: string; openTimeout: number },
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    // Node and some embedded WebViews have no IndexedDB at all.
    if (!factory) throw storageError(undefined, 'storage-unavailable')
    // Throws at once in some private modes; the Promise turns that into a rejection.
    const request = factory.open(databaseName, 1)
    let settled = false
    const timer = setTimeout(() => {
      settled = true
      reject(new FerryError('IndexedDB did not open in time', { code: 'storage-unavailable' }))
    }, openTimeout)
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(storeName, { keyPath: 'urlStorageKey' })
      store.createIndex('fingerprint', 'fingerprint')
    }
    request.onsuccess = () => {
      clearTimeout(timer)
      const db = request.result
      // Answered too late: we already fell back, so do not hold the database open.
      if (settled) return db.close()
      settled = true
      // Step aside when a newer version (another tab, a newer SDK) wants to upgrade the schema.
      db.onversionchange = () => db.close()
      resolve(db)
    }
    request.onerror = () => {
      clearTimeout(timer)
      reject(storageError(request.error, 'storage-unavailable'))
    }
  })
}

/** Issues a transaction's requests, and calls `done` with its result from a request callback. */
export type TransactionWork<T> = (store: IDBObjectStore, done: (value: T) => void) => void

/**
 * Runs `work` in one transaction and resolves with what it passed to `done` once the
 * transaction has committed; rejects if any request in it fails.
 */
export function runTransaction<T>(
  db: IDBDatabase,
  mode: IDBTransactionMode,
  work: TransactionWork<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      const transaction = db.transaction(storeName, mode)
      let result: T
      transaction.oncomplete = () => resolve(result)
      transaction.onabort = () => reject(storageError(transaction.error, 'storage-failed'))
      work(transaction.objectStore(storeName), (value) => {
        result = value
      })
    } catch (error) {
      // A closed connection or a record that cannot be cloned throws instead of aborting.
      reject(storageError(error, 'storage-failed'))
    }
  })
}

/** A `FerryError` with the browser's reason, if there is one, in its message and as its cause. */
function storageError(cause: unknown, code: string): FerryError {
  const reason = cause instanceof Error ? cause.message : cause ? String(cause) : 'not available'
  const message = `IndexedDB failed: ${reason}`
  return new FerryError(message, { code, cause })
}
