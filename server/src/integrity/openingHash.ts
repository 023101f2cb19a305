import type { RemoteHash } from './hashWorkers.js'

/** Bytes held for a hash that is still opening; past this the caller falls behind instead. */
const DEFAULT_HOLD_BYTES = 4 * 1024 * 1024

/**
 * A RemoteHash to use while its thread is still opening it, so no request waits for a thread
 * that may be yielding to a busy server. Meanwhile `tryUpdate` keeps copies of the chunks, up to
 * `holdBytes`, and hands them over once the hash is open; beyond that it takes nothing (a
 * checkpoint trail then falls behind and reads the bytes back from the store). Every other call
 * waits for the hash and the held chunks. If opening fails, those calls fail with its error.
 */
export function openingHash(opening: Promise<RemoteHash>, { holdBytes = DEFAULT_HOLD_BYTES } = {}): RemoteHash {
  let open: RemoteHash | undefined
  let closed = false
  let held: Uint8Array[] = []
  let heldBytes = 0
  const ready = opening.then(async (hash) => {
    if (closed) {
      hash.close()
      return hash
    }
    // Handed over in order; tryUpdate keeps holding until they are, so nothing overtakes them.
    while (held.length > 0 && !closed) {
      const chunks = held
      held = []
      for (const chunk of chunks) {
        await hash.update(chunk)
        heldBytes -= chunk.length
      }
    }
    if (closed) hash.close()
    else open = hash
    return hash
  })
  // Failures reach whoever calls next; none may go unhandled meanwhile.
  ready.catch(() => undefined)
  return {
    update: async (chunk) => (await ready).update(chunk),
    tryUpdate(chunk) {
      if (open) return open.tryUpdate(chunk)
      if (closed || heldBytes + chunk.length > holdBytes) return false
      held.push(new Uint8Array(chunk))
      heldBytes += chunk.length
      return true
    },
    save: async () => (await ready).save(),
    digest: async () => (await ready).digest(),
    rest() {
      void ready.then((hash) => hash.rest(), () => undefined)
    },
    close() {
      closed = true
      held = []
      open?.close()
    },
  }
}
