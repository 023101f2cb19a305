import type { RemoteHash } from './hashWorkers.js'

/**
 * A RemoteHash to use while its thread is still opening it, so no request waits for a thread
 * that may be yielding to a busy server: `tryUpdate` takes nothing until the hash is open (a
 * checkpoint trail then falls behind and reads the bytes back from the store), and every other
 * call waits for it. If opening fails, those calls fail with its error.
 */
export function openingHash(opening: Promise<RemoteHash>): RemoteHash {
  let open: RemoteHash | undefined
  let closed = false
  const ready = opening.then((hash) => {
    if (closed) hash.close()
    else open = hash
    return hash
  })
  // Failures reach whoever calls next; none may go unhandled meanwhile.
  ready.catch(() => undefined)
  return {
    update: async (chunk) => (await ready).update(chunk),
    tryUpdate: (chunk) => open?.tryUpdate(chunk) ?? false,
    save: async () => (await ready).save(),
    digest: async () => (await ready).digest(),
    rest() {
      void ready.then((hash) => hash.rest(), () => undefined)
    },
    close() {
      closed = true
      open?.close()
    },
  }
}
