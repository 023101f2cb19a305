import { describe, expect, it } from 'vitest'
import { createUrlStorage } from './createUrlStorage.js'
import { IndexedDbUrlStorage } from './IndexedDbUrlStorage.js'
import { MemoryUrlStorage } from './MemoryUrlStorage.js'

/** An IndexedDB factory whose `open` behaves as `open` says; real ones exist only in browsers. */
function factory(open: () => IDBOpenDBRequest): IDBFactory {
  return { open } as unknown as IDBFactory
}

/** An open request that fails the way private modes make it fail. */
function failingRequest(): IDBOpenDBRequest {
  const request = { error: new DOMException('refused', 'InvalidStateError') } as {
    error: DOMException
    onerror?: () => void
  }
  queueMicrotask(() => request.onerror?.())
  return request as unknown as IDBOpenDBRequest
}

describe('createUrlStorage', () => {
  it('falls back to memory where there is no IndexedDB (Node)', async () => {
    expect(globalThis.indexedDB).toBeUndefined()
    expect(await createUrlStorage()).toBeInstanceOf(MemoryUrlStorage)
  })

  it('falls back to memory when opening throws', async () => {
    const throwing = factory(() => {
      throw new DOMException('The operation is insecure.', 'SecurityError')
    })
    expect(await createUrlStorage({ indexedDB: throwing })).toBeInstanceOf(MemoryUrlStorage)
  })

  it('falls back to memory when opening fails', async () => {
    expect(await createUrlStorage({ indexedDB: factory(failingRequest) })).toBeInstanceOf(
      MemoryUrlStorage,
    )
  })

  it('falls back to memory when opening never answers', async () => {
    const silent = factory(() => ({}) as IDBOpenDBRequest)
    const storage = await createUrlStorage({ indexedDB: silent, openTimeout: 10 })
    expect(storage).toBeInstanceOf(MemoryUrlStorage)
  })

  it('passes the options on to the memory storage', async () => {
    const storage = await createUrlStorage({ maxEntries: 1 })
    await storage.addUpload('a', { size: 1, metadata: {}, creationTime: '' } as never)
    await storage.addUpload('b', { size: 1, metadata: {}, creationTime: '' } as never)
    expect(await storage.findAllUploads()).toHaveLength(1)
  })

  it('reports the reason when IndexedDbUrlStorage.open is called directly', async () => {
    const opening = IndexedDbUrlStorage.open({ indexedDB: factory(failingRequest) })
    await expect(opening).rejects.toMatchObject({
      code: 'storage-unavailable',
      message: 'ferry: IndexedDB failed: refused',
    })
  })
})
