import type { PreviousUpload } from 'tus-js-client'
import { beforeEach, describe, expect, it } from 'vitest'
import { MemoryUrlStorage } from './MemoryUrlStorage.js'
import type { FerryUrlStorage } from './types.js'
import type { UrlStorageOptions } from './uploadRecords.js'

/**
 * The behaviour every URL storage must show. IndexedDbUrlStorage runs it in Chromium:
 * `describeUrlStorageContract('IndexedDbUrlStorage', (options) => IndexedDbUrlStorage.open({
 * ...options, databaseName: crypto.randomUUID() }))`.
 */
export function describeUrlStorageContract(
  name: string,
  create: (options: UrlStorageOptions) => Promise<FerryUrlStorage>,
): void {
  describe(`${name} (URL storage contract)`, () => {
    const clock = { now: 1_000_000 }
    const options = { clock: () => clock.now, ttl: 10_000, maxEntries: 3 }
    let storage: FerryUrlStorage

    beforeEach(async () => {
      clock.now = 1_000_000
      storage = await create(options)
    })

    /** Shaped as tus-js-client passes it: no key, and no parallelUploadUrls. */
    const upload = (id: string) =>
      ({
        size: 100,
        metadata: { filename: `${id}.jpg` },
        creationTime: 'Wed Jan 01 2025',
        uploadUrl: `https://example.com/files/${id}`,
      }) as unknown as PreviousUpload
    const urls = (uploads: PreviousUpload[]) => uploads.map((found) => found.uploadUrl).sort()

    it('finds an added upload by its fingerprint, with its key', async () => {
      const key = await storage.addUpload('fp-a', upload('a'))
      await storage.addUpload('fp-b', upload('b'))
      expect(await storage.findUploadsByFingerprint('fp-a')).toEqual([
        { ...upload('a'), parallelUploadUrls: null, urlStorageKey: key },
      ])
      expect(await storage.findUploadsByFingerprint('fp-c')).toEqual([])
      expect(urls(await storage.findAllUploads())).toEqual([
        'https://example.com/files/a',
        'https://example.com/files/b',
      ])
    })

    it('removes an upload by key, and ignores an unknown key', async () => {
      const key = await storage.addUpload('fp-a', upload('a'))
      await storage.removeUpload('no-such-key')
      await storage.removeUpload(key)
      expect(await storage.findAllUploads()).toEqual([])
    })

    it('stores copies, not the caller’s objects', async () => {
      const original = upload('a')
      await storage.addUpload('fp-a', original)
      original.metadata.filename = 'changed'
      const [found] = await storage.findUploadsByFingerprint('fp-a')
      expect(found?.metadata.filename).toBe('a.jpg')
      if (found) found.metadata.filename = 'changed again'
      expect((await storage.findAllUploads())[0]?.metadata.filename).toBe('a.jpg')
    })

    it('hides expired uploads, and deletes them when adding', async () => {
      await storage.addUpload('fp-old', upload('old'))
      clock.now += 10_000
      expect(await storage.findUploadsByFingerprint('fp-old')).toEqual([])
      await storage.addUpload('fp-new', upload('new'))
      clock.now -= 10_000
      expect(urls(await storage.findAllUploads())).toEqual(['https://example.com/files/new'])
    })

    it('keeps at most maxEntries uploads, evicting the oldest', async () => {
      for (const id of ['1', '2', '3', '4', '5']) {
        clock.now += 1
        await storage.addUpload(`fp-${id}`, upload(id))
      }
      expect(urls(await storage.findAllUploads())).toEqual([
        'https://example.com/files/3',
        'https://example.com/files/4',
        'https://example.com/files/5',
      ])
    })

    it('saves and loads hash state per upload, as a copy', async () => {
      const key = await storage.addUpload('fp-a', upload('a'))
      const state = new Uint8Array([1, 2, 3])
      await storage.saveHashState(key, state, 4096)
      state[0] = 9
      const expected = { state: new Uint8Array([1, 2, 3]), offset: 4096 }
      expect(await storage.loadHashState(key)).toEqual(expected)
      await storage.saveHashState(key, new Uint8Array([4]), 8192)
      expect(await storage.loadHashState(key)).toEqual({ state: new Uint8Array([4]), offset: 8192 })
      expect((await storage.findAllUploads())[0]).not.toHaveProperty('hashState')
    })

    it('has no hash state for unknown, removed or expired uploads', async () => {
      await storage.saveHashState('no-such-key', new Uint8Array([1]), 1)
      expect(await storage.loadHashState('no-such-key')).toBeUndefined()
      const key = await storage.addUpload('fp-a', upload('a'))
      expect(await storage.loadHashState(key)).toBeUndefined()
      await storage.saveHashState(key, new Uint8Array([1]), 1)
      clock.now += 10_000
      expect(await storage.loadHashState(key)).toBeUndefined()
      clock.now -= 10_000
      await storage.removeUpload(key)
      expect(await storage.loadHashState(key)).toBeUndefined()
    })
  })
}

describeUrlStorageContract('MemoryUrlStorage', async (options) => new MemoryUrlStorage(options))
