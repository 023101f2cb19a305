import { randomUUID } from 'node:crypto'
import { rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ERRORS, FileKvStore, isPathInsideDirectory, type Upload } from '@tus/utils'

/**
 * The disk stores' upload info files (`<id>.json`), written whole or not at all.
 *
 * @tus/utils' FileKvStore writes in place: `writeFile` truncates the file, then writes it. A crash
 * or SIGKILL between the two leaves an empty or cut `<id>.json`, which reads as no upload at all
 * (404 from then on, its bytes orphaned). This writes a temporary file beside it and renames it
 * over the old one, so a reader sees the old info or the new. (No fsync: this guards against a
 * process dying, not against the machine losing power.) A temporary file that a crash leaves
 * behind starts with a dot, so `list()` never pairs it with an upload.
 *
 * @example
 * const datastore = new FileStore({ directory, configstore: new AtomicFileKvStore(directory) })
 */
export class AtomicFileKvStore<T = Upload> extends FileKvStore<T> {
  override async set(key: string, value: T): Promise<void> {
    const target = path.resolve(this.directory, `${key}.json`)
    if (!isPathInsideDirectory(this.directory, target)) throw ERRORS.FILE_NOT_FOUND
    const name = `.${path.basename(target)}.${randomUUID()}.tmp`
    const temporary = path.join(path.dirname(target), name)
    try {
      await writeFile(temporary, JSON.stringify(value))
      await rename(temporary, target)
    } catch (error) {
      await rm(temporary, { force: true })
      throw error
    }
  }
}
