import { truncate } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { FileStore } from '@tus/file-store'
import type { Upload } from '@tus/utils'
import { takeChunkRefusal } from '../tus/chunkVerdicts.js'
import { AtomicFileKvStore } from './AtomicFileKvStore.js'
import { EncryptedFileStore, type EncryptedFileStoreOptions } from './encryption/index.js'
import { forgetCreationDateOnceComplete } from './expiration.js'

/**
 * @tus/file-store with expiration that touches only unfinished uploads. The stock store reads the
 * offset from the info file written at creation (always 0), so its `deleteExpired()` would delete
 * completed uploads too, and @tus/server answers HEAD of a completed upload 410 once its creation
 * is older than the expiration period. Info files are replaced whole (see AtomicFileKvStore).
 */
export class FerryFileStore extends FileStore {
  constructor(options: ConstructorParameters<typeof FileStore>[0]) {
    super({ ...options, configstore: options.configstore ?? new AtomicFileKvStore(options.directory) })
  }

  override async getUpload(id: string): Promise<Upload> {
    return forgetCreationDateOnceComplete(await super.getUpload(id))
  }

  /**
   * A chunk refused by its checksum once its body ended (see tus/chunkVerdicts.ts) is cut back
   * out before the handler answers: the file's size is the upload's offset, so it does not move.
   * A body cut off midway keeps what arrived, as without a checksum; the final SHA-256 check
   * still covers those bytes.
   */
  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const end = await super.write(readable, id, offset)
    const refusal = takeChunkRefusal(id)
    if (refusal) {
      await truncate(path.join(this.directory, id), offset)
      throw refusal
    }
    return end
  }

  override async deleteExpired(): Promise<number> {
    const expiration = this.getExpiration()
    if (expiration <= 0 || !this.configstore.list) return 0
    let deleted = 0
    for (const id of await this.configstore.list()) {
      const upload = await super.getUpload(id).catch(() => undefined)
      if (!upload || upload.offset === upload.size || !upload.creation_date) continue
      if (Date.now() > new Date(upload.creation_date).getTime() + expiration) {
        await this.remove(id).catch(() => undefined)
        deleted++
      }
    }
    return deleted
  }
}

/** The encrypted disk store, with the same rules: a complete upload never expires; whole info files. */
export class FerryEncryptedFileStore extends EncryptedFileStore {
  constructor(options: EncryptedFileStoreOptions) {
    super({ ...options, configstore: options.configstore ?? new AtomicFileKvStore(options.directory) })
  }

  override async getUpload(id: string): Promise<Upload> {
    return forgetCreationDateOnceComplete(await super.getUpload(id))
  }
}
