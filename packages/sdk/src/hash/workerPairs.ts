import workerSource from 'ferry:hash-worker-source'
import { HASHER_NAME, READER_NAME } from './types.js'

/** A reader and a hasher running the hash worker script (see hashWorker.ts). */
export interface WorkerPair {
  reader: Worker
  hasher: Worker
  /** Where the pair came from and goes back to: its script's URL, or '' for the bundled one. */
  script: string
  /** Frees what starting the pair took (the bundled script's `blob:` URL). */
  release: () => void
  failed?: boolean
}

/**
 * How long a pair that finished a digest waits for the next one before it stops. Starting a pair
 * and compiling hash-wasm took 55–105 ms of every small file's upload in Chromium here; a queue's
 * next file starts within milliseconds of the last one's digest, so it takes the pair instead.
 */
export const IDLE_PAIR_MS = 2000

/** Idle pairs kept at most, all scripts together: the `Uploader`'s default concurrency, and one. */
export const IDLE_PAIRS = 4

const idle: { pair: WorkerPair; timer: ReturnType<typeof setTimeout> }[] = []

/** An idle pair of `script` if one is kept, else a new one (which may throw, as `new Worker` does). */
export function takeWorkerPair(workerUrl: string | URL | undefined): WorkerPair {
  const script = workerUrl === undefined ? '' : String(workerUrl)
  const index = idle.findIndex(({ pair }) => pair.script === script && !pair.failed)
  if (index >= 0) {
    const [kept] = idle.splice(index, 1)
    if (kept) {
      clearTimeout(kept.timer)
      return kept.pair
    }
  }
  return startWorkerPair(workerUrl, script)
}

/**
 * Keeps a pair that ended its work cleanly for the next digest, for `IDLE_PAIR_MS`; a failed one,
 * or one more than `IDLE_PAIRS` allow, stops now.
 */
export function giveBackWorkerPair(pair: WorkerPair): void {
  if (pair.failed || idle.length >= IDLE_PAIRS) return stopWorkerPair(pair)
  for (const worker of [pair.reader, pair.hasher]) {
    worker.onmessage = null
    // A worker that fails while idle is not handed out again.
    worker.onerror = (event) => {
      event.preventDefault()
      dropIdle(pair)
    }
  }
  idle.push({ pair, timer: setTimeout(() => dropIdle(pair), IDLE_PAIR_MS) })
}

export function stopWorkerPair({ reader, hasher, release }: WorkerPair): void {
  reader.terminate()
  hasher.terminate()
  release()
}

function dropIdle(pair: WorkerPair): void {
  const index = idle.findIndex((kept) => kept.pair === pair)
  if (index < 0) return
  const [kept] = idle.splice(index, 1)
  if (kept) clearTimeout(kept.timer)
  stopWorkerPair(pair)
}

function startWorkerPair(workerUrl: string | URL | undefined, script: string): WorkerPair {
  const url = workerUrl ?? URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }))
  const release = workerUrl ? () => {} : () => URL.revokeObjectURL(String(url))
  let reader: Worker | undefined
  try {
    // The name tells the script its role before any message (the hasher compiles hash-wasm at once).
    reader = new Worker(url, { name: READER_NAME })
    return { reader, hasher: new Worker(url, { name: HASHER_NAME }), script, release }
  } catch (error) {
    reader?.terminate()
    release()
    throw error
  }
}
