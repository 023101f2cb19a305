import type { UploadOptions } from 'tus-js-client'

// tus-js-client declares these without exporting them.
type FileReader = NonNullable<UploadOptions['fileReader']>
type FileSource = Awaited<ReturnType<FileReader['openFile']>>

/**
 * A tus-js-client `fileReader` that remembers where each slice it hands out starts in the file.
 * With parallel uploads tus-js-client slices the file into parts and each part into chunks, and
 * a PATCH's `Upload-Offset` counts from its part's start; `startOf(chunk)` gives the chunk's
 * offset in the whole file, where the hash worker's chunk digests are. Weak, so slices are not
 * kept alive by it.
 *
 * @example
 * const offsets = new FileOffsets(file)
 * new TusUpload(file, { ...options, fileReader: offsets.fileReader })
 * offsets.startOf(chunkBlob) // 25165824
 */
export class FileOffsets {
  readonly #starts = new WeakMap<Blob, number>()

  constructor(file: Blob) {
    this.#starts.set(file, 0)
  }

  /** Where `blob` starts in the file, if it is the file or a slice handed out here. */
  startOf(blob: Blob): number | undefined {
    return this.#starts.get(blob)
  }

  readonly fileReader: FileReader = {
    openFile: async (input: unknown): Promise<FileSource> => {
      if (!(input instanceof Blob)) throw new TypeError('Ferry uploads a Blob or a File')
      const base = this.#starts.get(input)
      return {
        size: input.size,
        slice: async (start: number, end: number) => {
          const value = input.slice(start, end)
          if (base !== undefined) this.#starts.set(value, base + start)
          return { value, done: end >= input.size }
        },
        close: () => {},
      }
    },
  }
}
