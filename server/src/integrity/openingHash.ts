import type { RemoteHash } from './hashWorkers.js'

/** Bytes that hashes still opening may hold between them; shared, so memory stays bounded however many open at once. */
export interface HoldBudget {
  /** Still free. */
  bytes: number
}

/**
 * A RemoteHash to use while its thread is still opening it, so no request waits for a thread
 * that may be yielding to a busy server. Meanwhile `tryUpdate` keeps copies of the chunks, within
 * the shared `budget`, and hands them over once the hash is open; beyond that it takes nothing (a
 * checkpoint trail then falls behind and reads the bytes back from the store). Every other call
 * waits for the hash and the held chunks. If opening fails, those calls fail with its error.
 */
export function openingHash(opening: Promise<RemoteHash>, budget: HoldBudget): RemoteHash {
  let open: RemoteHash | undefined
  let closed = false
  let held: Uint8Array[] = []
  let heldBytes = 0
  const release = (bytes: number) => {
    heldBytes -= bytes
    budget.bytes += bytes
  }
  const ready = opening.then(async (hash) => {
    // Handed over in order; tryUpdate keeps holding until they are, so nothing overtakes them.
    for (let chunk = held.shift(); chunk && !closed; chunk = held.shift()) {
      await hash.update(chunk)
      if (!closed) release(chunk.length)
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
      if (closed || chunk.length > budget.bytes) return false
      held.push(new Uint8Array(chunk))
      heldBytes += chunk.length
      budget.bytes -= chunk.length
      return true
    },
    save: async () => (await ready).save(),
    digest: async () => (await ready).digest(),
    rest() {
      void ready.then((hash) => hash.rest(), () => undefined)
    },
    close() {
      if (closed) return
      closed = true
      held = []
      release(heldBytes)
      open?.close()
    },
  }
}
