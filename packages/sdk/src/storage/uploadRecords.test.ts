import type { PreviousUpload } from 'tus-js-client'
import { describe, expect, it } from 'vitest'
import {
  createUploadRecord,
  defaultUrlStorageOptions,
  hashStateOf,
  newestFirst,
  recordsToRemove,
  toPreviousUpload,
} from './uploadRecords.js'

/** What tus-js-client really passes to addUpload: no key, and only the URL field it uses. */
const fromTus = {
  size: 10,
  metadata: { filename: 'a.jpg' },
  creationTime: 'Wed Jan 01 2025',
  uploadUrl: 'https://example.com/files/abc',
} as unknown as PreviousUpload

const record = (createdAt: number, expiresAt: number) => ({ createdAt, expiresAt })

describe('recordsToRemove', () => {
  it('removes every expired record', () => {
    const records = [record(1, 100), record(2, 50), record(3, 51)]
    expect(recordsToRemove(records, { now: 50, maxEntries: 10 })).toEqual([records[1]])
  })

  it('removes the oldest live records beyond maxEntries, making room for those added', () => {
    const records = [record(30, 999), record(10, 999), record(20, 999), record(40, 999)]
    expect(recordsToRemove(records, { now: 0, maxEntries: 4 })).toEqual([])
    expect(recordsToRemove(records, { now: 0, maxEntries: 4, adding: 1 })).toEqual([records[1]])
    expect(recordsToRemove(records, { now: 0, maxEntries: 2, adding: 1 })).toEqual([
      records[1],
      records[2],
      records[0],
    ])
  })

  it('counts expired records towards the removal before evicting live ones', () => {
    const records = [record(1, 5), record(2, 999), record(3, 999)]
    expect(recordsToRemove(records, { now: 10, maxEntries: 3, adding: 1 })).toEqual([records[0]])
  })

  it('leaves the input untouched', () => {
    const records = [record(3, 999), record(1, 999)]
    recordsToRemove(records, { now: 0, maxEntries: 0 })
    expect(records).toEqual([record(3, 999), record(1, 999)])
  })
})

describe('createUploadRecord and toPreviousUpload', () => {
  it('keys the record by fingerprint, stamps its lifetime, and fills the URL fields', () => {
    const stored = createUploadRecord('ferry:v1:ab', fromTus, { now: 1000, ttl: 500 })
    expect(stored).toMatchObject({
      fingerprint: 'ferry:v1:ab',
      createdAt: 1000,
      expiresAt: 1500,
      parallelUploadUrls: null,
      uploadUrl: 'https://example.com/files/abc',
    })
    expect(stored.urlStorageKey).toMatch(/^ferry:v1:ab::[0-9a-z]+$/)
    const again = createUploadRecord('ferry:v1:ab', fromTus, { now: 1000, ttl: 500 })
    expect(again.urlStorageKey).not.toBe(stored.urlStorageKey)
  })

  it('gives tus-js-client back only its own fields', () => {
    const stored = createUploadRecord('f', fromTus, { now: 0, ttl: 1 })
    const withHash = { ...stored, hashState: new Uint8Array([1]), hashOffset: 1 }
    expect(toPreviousUpload(withHash)).toEqual({
      ...fromTus,
      parallelUploadUrls: null,
      urlStorageKey: stored.urlStorageKey,
    })
  })

  it('defaults to a week and 500 entries', () => {
    expect(defaultUrlStorageOptions.ttl).toBe(604_800_000)
    expect(defaultUrlStorageOptions.maxEntries).toBe(500)
  })
})

describe('hashStateOf', () => {
  const stored = createUploadRecord('f', fromTus, { now: 0, ttl: 100 })

  it('returns a complete, live hash state only', () => {
    const state = new Uint8Array([1, 2])
    const saved = { ...stored, hashState: state, hashOffset: 0 }
    expect(hashStateOf(saved, 50)).toEqual({ state, offset: 0 })
    expect(hashStateOf(saved, 100)).toBeUndefined()
    expect(hashStateOf({ ...stored, hashState: state }, 50)).toBeUndefined()
    expect(hashStateOf(stored, 50)).toBeUndefined()
    expect(hashStateOf(undefined, 50)).toBeUndefined()
  })
})

describe('newestFirst', () => {
  const at = (creationTime: string, uploadUrl: string) => ({ creationTime, uploadUrl })

  it('orders by date, not by the text of Date#toString (which starts with the weekday)', () => {
    const uploads = [
      at('Tue Dec 01 2026 10:00:00 GMT+0000', 'tuesday'),
      at('Sun Nov 29 2026 10:00:00 GMT+0000', 'sunday'),
      at('Mon Nov 30 2026 10:00:00 GMT+0000', 'monday'),
    ]
    expect(newestFirst(uploads).map((upload) => upload.uploadUrl)).toEqual(['tuesday', 'monday', 'sunday'])
  })

  it('puts the later stored first among uploads of the same second, and unreadable dates last', () => {
    const second = 'Sun Nov 29 2026 10:00:00 GMT+0000'
    const uploads = [at('not a date', 'broken'), at(second, 'stored first'), at(second, 'stored second')]
    expect(newestFirst(uploads).map((upload) => upload.uploadUrl)).toEqual(['stored second', 'stored first', 'broken'])
  })
})
