/** Whether the chunk a store is writing passed its `Upload-Checksum`, known once its body ended. */
export interface ChunkVerdict {
  refusal(): Error | undefined
}

/**
 * Carries a PATCH's checksum verdict to the store write it causes, by upload id: the store learns,
 * for exactly that write, that the bytes it just stored were refused and must be cut back out
 * before the handler answers and releases the upload's lock (the checksum extension: refused bytes
 * are not appended).
 *
 * A verdict is filed when its body has ended, and that body is read only by the store write of the
 * request that holds the upload's lock (@tus/server reads it after taking the lock), so the write
 * that finishes next for that id is that request's. Filing it earlier, at the request's start,
 * would let a second PATCH waiting for the lock replace the first one's verdict under its write.
 * (An AsyncLocalStorage did this before: it made Node 20 run promise hooks for every promise of
 * the process, about 5 % of the server's CPU during uploads in a CPU profile.)
 */
const ended = new Map<string, ChunkVerdict>()

/** The body of the chunk for upload `id` has ended: its write is about to finish. */
export function fileChunkVerdict(id: string, verdict: ChunkVerdict): void {
  ended.set(id, verdict)
}

/** Inside a store write of upload `id`, once it has stored its bytes: why they must not stay, if they must not. */
export function takeChunkRefusal(id: string): Error | undefined {
  const verdict = ended.get(id)
  ended.delete(id)
  return verdict?.refusal()
}

/** After the request: its verdict, if no write took it (the write failed first), is dropped. */
export function dropChunkVerdict(id: string, verdict: ChunkVerdict): void {
  if (ended.get(id) === verdict) ended.delete(id)
}
