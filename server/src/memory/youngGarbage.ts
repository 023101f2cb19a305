import { pipeline, type Readable, Transform } from 'node:stream'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { DataStore } from '@tus/utils'

/** Asks V8 to collect its young generation (a scavenge), without waiting for it. */
export type CollectYoungGarbage = () => void

/**
 * V8's `gc()`, from the `--expose-gc` extension (enabled here if the process was started without
 * it: the function exists only in contexts created afterwards). `undefined` where V8 refuses.
 */
export function youngGarbageCollector(): CollectYoungGarbage | undefined {
  try {
    let gc = (globalThis as { gc?: unknown }).gc
    if (typeof gc !== 'function') {
      setFlagsFromString('--expose-gc')
      gc = runInNewContext('gc')
    }
    if (typeof gc !== 'function') return undefined
    const collect = gc as (options: { type: 'minor'; execution: 'async' }) => void
    return () => collect({ type: 'minor', execution: 'async' })
  } catch {
    return undefined
  }
}

export interface GarbagePacerOptions {
  /** Bytes read between two collections. */
  everyBytes: number
  collect: CollectYoungGarbage
}

/** Counts bytes as they stream through and asks for a collection after every `everyBytes`. */
export interface GarbagePacer {
  /** The same bytes as `source`, counted; errors and early ends pass through both ways. */
  count(source: Readable): Readable
}

/**
 * Design note. Every socket read allocates a fresh 64 KiB buffer. Once an upload's bytes are
 * copied on (into an S3 part, a hash batch, a file write) the buffer is garbage, but V8 collects
 * ArrayBuffer garbage only after external memory has grown by about 64 MiB, so an upload server
 * sits near that much garbage whatever the file size (measured: 79 MiB of RSS growth during a
 * 4 GiB S3 upload, of which 21 MiB were alive). A scavenge of a young generation that holds
 * little costs well under a millisecond, so one per few MiB read bounds the garbage by the pace
 * instead of by V8's external-memory limit, at a cost too small to measure at upload speeds.
 */
export function createGarbagePacer({ everyBytes, collect }: GarbagePacerOptions): GarbagePacer {
  let sinceCollection = 0
  const received = (bytes: number) => {
    sinceCollection += bytes
    if (sinceCollection < everyBytes) return
    sinceCollection = 0
    collect()
  }
  return {
    count(source) {
      const counted = new Transform({
        transform(chunk: Uint8Array, _encoding, callback) {
          received(chunk.length)
          callback(null, chunk)
        },
      })
      // Either side's error or early end ends both, as reading `source` directly would.
      return pipeline(source, counted, () => {})
    },
  }
}

/** Counts every upload write's bytes (request bodies, and partial uploads read for a final one). */
export function paceWrites(datastore: DataStore, pacer: GarbagePacer): void {
  const write = datastore.write.bind(datastore)
  datastore.write = (source, id, offset) => write(pacer.count(source), id, offset)
}
