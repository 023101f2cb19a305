import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDiskBackend } from '../storage/diskBackend.js'
import type { StorageBackend } from '../storage/types.js'
import { type JoinedPartial, removeStaleJoinMarkers } from './concatenation.js'

describe('removeStaleJoinMarkers', () => {
  let directory: string
  let backend: StorageBackend
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'ferry-concat-'))
    backend = createDiskBackend({ directory })
    await backend.prepare()
  })
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true })
  })

  const marker = (partialId: string, ageMs: number): JoinedPartial => ({
    partialId,
    finalId: 'final',
    owner: 'alice',
    size: 10,
    joinedAt: new Date(Date.now() - ageMs).toISOString(),
  })

  it('removes the markers older than the expiry and keeps the recent ones', async () => {
    const hour = 3_600_000
    await backend.documents.put('concat/joined/old.json', marker('old', 25 * hour))
    await backend.documents.put('concat/joined/recent.json', marker('recent', hour))
    await backend.documents.put('concat/pending/final.json', { finalId: 'final', partialIds: ['x'], digest: null })

    expect(await removeStaleJoinMarkers(backend.documents, 24 * hour)).toBe(1)
    expect(await backend.documents.list('concat/joined/')).toEqual(['concat/joined/recent.json'])
    // A final still waiting for its partials is not a marker.
    expect(await backend.documents.get('concat/pending/final.json')).not.toBeNull()
  })
})
