import { createUrlStorage } from './createUrlStorage.js'
import type { FerryUrlStorage } from './types.js'

let shared: Promise<FerryUrlStorage> | undefined

/** One URL storage per page or Worker, opened on first use (never at import). */
export function defaultUrlStorage(): Promise<FerryUrlStorage> {
  shared ??= createUrlStorage()
  return shared
}
