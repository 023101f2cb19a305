import type { StoredPart } from './writeParts.js'

/** What S3 holds of an unfinished upload: its parts and the short tail kept in `<id>.part`. */
export interface MultipartProgress {
  /** Consecutive from part 1, by number. */
  parts: StoredPart[]
  /** Bytes in `<id>.part`, or 0 when there is none. */
  tailSize: number
  /** Bytes the last request brought, when this process saw it: the next is likely as long. */
  lastRequestBytes?: number
}

/** The upload's offset: every byte S3 holds for it. */
export function offsetOf(progress: MultipartProgress): number {
  return progress.parts.reduce((sum, part) => sum + part.size, progress.tailSize)
}

/**
 * The parts from number 1 up to the first gap. Parts are uploaded concurrently, so one that
 * failed can leave a later one behind; the bytes after a gap do not count, and the next write
 * uploads from the gap on, replacing what is there.
 */
export function leadingParts(parts: StoredPart[]): StoredPart[] {
  const sorted = [...parts].sort((a, b) => a.number - b.number)
  const leading: StoredPart[] = []
  for (const part of sorted) {
    if (part.number !== leading.length + 1) break
    leading.push(part)
  }
  return leading
}

export interface ProgressCacheOptions {
  /** Uploads remembered; the least recently used is forgotten first and read from S3 again. */
  maxEntries: number
}

/**
 * The progress of recent uploads, kept by the process that writes them so that a PATCH does not
 * cost a ListParts and a HeadObject (about 100 ms on OpenStack Swift) before it starts. Sound
 * while one process writes an upload, which the in-process tus locker already assumes.
 */
export class ProgressCache {
  private readonly entries = new Map<string, MultipartProgress>()
  private readonly maxEntries: number

  constructor(options: ProgressCacheOptions) {
    this.maxEntries = options.maxEntries
  }

  get(id: string): MultipartProgress | undefined {
    const progress = this.entries.get(id)
    if (progress) {
      this.entries.delete(id)
      this.entries.set(id, progress)
    }
    return progress
  }

  set(id: string, progress: MultipartProgress): void {
    this.entries.delete(id)
    this.entries.set(id, progress)
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
  }

  delete(id: string): void {
    this.entries.delete(id)
  }
}
