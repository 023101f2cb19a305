import { AsyncLocalStorage } from 'node:async_hooks'

/** Whether the chunk a store is writing passed its `Upload-Checksum`, known once its body ended. */
export interface ChunkVerdict {
  refusal(): Error | undefined
}

/**
 * Carries a PATCH's checksum verdict to the store write it causes: the tus handler calls the store
 * within the request's async context, so the store learns, for exactly that write, that the bytes
 * it just stored were refused and must be cut back out before the handler answers and releases
 * the upload's lock (the checksum extension: refused bytes are not appended).
 */
const verdicts = new AsyncLocalStorage<ChunkVerdict>()

/** Runs the tus handler for a PATCH whose chunk is verified while it streams to the store. */
export function withChunkVerdict<T>(verdict: ChunkVerdict, run: () => Promise<T>): Promise<T> {
  return verdicts.run(verdict, run)
}

/** Inside a store write: why the chunk just written must not stay, if it must not. */
export function refusalOfChunk(): Error | undefined {
  return verdicts.getStore()?.refusal()
}
