import type { PreviousUpload, UrlStorage } from 'tus-js-client'

/** A previous upload as Ferry stores it: tus-js-client's record plus lifetime and hash state. */
export interface UploadRecord extends PreviousUpload {
  fingerprint: string
  /** Epoch milliseconds. */
  createdAt: number
  /** Epoch milliseconds after which the record is ignored and removed. */
  expiresAt: number
  /** hash-wasm state saved with `save()`, to continue hashing instead of starting over. */
  hashState?: Uint8Array
  /** How many bytes of the file `hashState` has taken in. */
  hashOffset?: number
}

/** A saved hashing state and the number of bytes it covers. */
export interface SavedHashState {
  state: Uint8Array
  offset: number
}

/**
 * tus-js-client's `UrlStorage`, plus a place to keep the hash state of an unfinished upload so
 * that a resumed upload does not hash the whole file again.
 */
export interface FerryUrlStorage extends UrlStorage {
  /** Saves hashing progress for an upload; does nothing when the upload is no longer stored. */
  saveHashState(urlStorageKey: string, state: Uint8Array, offset: number): Promise<void>
  /** The saved hashing progress, or `undefined` when there is none. */
  loadHashState(urlStorageKey: string): Promise<SavedHashState | undefined>
}
