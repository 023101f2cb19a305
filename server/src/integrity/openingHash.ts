import type { RemoteHash } from './hashWorkers.js'

/** Bytes that hashes still opening may hold between them; shared, so memory stays bounded however many open at once. */
export interface HoldBudget {
  /** Still free. */
  bytes: number
}

/** Something asked of the hash while it opened: a chunk held for it, or a call waiting for it. */
interface Step {
  chunk?: Uint8Array
  call?: (hash: RemoteHash) => void
  fail?: (error: unknown) => void
}

/**
 * A RemoteHash to use while its thread is still opening it, so no request waits for a thread
 * that may be yielding to a busy server. Meanwhile `tryUpdate` keeps copies of the chunks, within
 * the shared `budget`; beyond it it takes nothing (a checkpoint trail then falls behind and reads
 * the bytes back from the store). Chunks and calls are handed to the hash in the order they came,
 * so `save()` covers exactly the chunks taken before it, as the RemoteHash contract says. If
 * opening fails, or the hash fails a held chunk, what waits fails with that error and the held
 * bytes go back to the budget.
 */
export function openingHash(opening: Promise<RemoteHash>, budget: HoldBudget): RemoteHash {
  let open: RemoteHash | undefined
  let failure: { error: unknown } | undefined
  let closed = false
  let queue: Step[] = []
  let heldBytes = 0

  const release = (bytes: number) => {
    heldBytes -= bytes
    budget.bytes += bytes
  }
  /** Drops what is held and fails what waits. */
  const abandon = (error: unknown) => {
    const steps = queue
    queue = []
    release(heldBytes)
    for (const step of steps) step.fail?.(error)
  }

  void opening.then(
    async (hash) => {
      try {
        for (let step = queue.shift(); step && !closed; step = queue.shift()) {
          if (step.chunk) {
            await hash.update(step.chunk)
            if (!closed) release(step.chunk.length)
          } else {
            step.call?.(hash)
          }
        }
      } catch (error) {
        hash.close()
        failure = { error }
        abandon(error)
        return
      }
      if (closed) hash.close()
      else open = hash
    },
    (error: unknown) => {
      failure = { error }
      abandon(error)
    },
  )

  /** Calls the hash now if it is open, else once everything asked before has been handed to it. */
  function whenOpen<T>(call: (hash: RemoteHash) => Promise<T>): Promise<T> {
    if (open) return call(open)
    if (failure) return Promise.reject(failure.error)
    if (closed) return Promise.reject(new Error('ferry-server: the hash was closed'))
    return new Promise<T>((resolve, reject) => {
      queue.push({ call: (hash) => void call(hash).then(resolve, reject), fail: reject })
    })
  }

  return {
    update(chunk) {
      if (open) return open.update(chunk)
      // The caller may reuse its chunk once this resolves; held, it is copied now.
      const copy = new Uint8Array(chunk)
      return whenOpen((hash) => hash.update(copy))
    },
    tryUpdate(chunk) {
      if (closed || failure) return false
      if (open) return open.tryUpdate(chunk)
      if (chunk.length > budget.bytes) return false
      queue.push({ chunk: new Uint8Array(chunk) })
      heldBytes += chunk.length
      budget.bytes -= chunk.length
      return true
    },
    save: () => whenOpen((hash) => hash.save()),
    digest: () => whenOpen((hash) => hash.digest()),
    rest() {
      if (closed || failure) return
      if (open) open.rest()
      else queue.push({ call: (hash) => hash.rest() })
    },
    close() {
      if (closed) return
      closed = true
      abandon(new Error('ferry-server: the hash was closed'))
      open?.close()
    },
  }
}
