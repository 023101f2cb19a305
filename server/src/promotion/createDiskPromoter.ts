import { constants } from 'node:fs'
import { copyFile, link, mkdir, rename, rm, rmdir } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from 'pino'
import type { DocumentStore } from '../storage/types.js'
import { CANONICAL_PREFIX } from './canonicalKey.js'
import type { ObjectPromoter, PromotionPlan } from './ObjectPromoter.js'

export interface DiskPromoterOptions {
  /** The data dir; keys are paths below it. */
  directory: string
  /** The backend's documents, which write the `<key>.json` sidecar atomically. */
  documents: DocumentStore
  /** The store keeps uploads encrypted: the promoted file is ciphertext bound to its upload id. */
  encrypted: boolean
  logger: Logger
}

/** Filesystems without hard links answer these; a copy (a reflink where possible) does instead. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK'])

/**
 * Promotion on the disk store: the canonical path is a hard link to the tus file, so no byte is
 * copied, the tus upload keeps answering HEAD, and an encrypted store's ciphertext stays as it is.
 * Beside it, `<key>.json` holds the metadata that S3 would keep on the object.
 */
export function createDiskPromoter({
  directory,
  documents,
  encrypted,
  logger,
}: DiskPromoterOptions): ObjectPromoter {
  const root = path.resolve(directory)
  const pathOf = (key: string) => {
    const resolved = path.resolve(root, key)
    if (!resolved.startsWith(`${root}${path.sep}`))
      throw new Error(`ferry-server: key "${key}" is outside the data dir`)
    return resolved
  }
  let warnedAboutCopies = false

  /** Link (or copy) to a temporary name, then rename: a retry replaces, never half-writes. */
  async function place(source: string, target: string): Promise<void> {
    const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
    for (let attempt = 1; ; attempt++) {
      // The day folder usually exists: it is made when the link finds it missing, and once more
      // if a removal pruning the same empty folder raced that.
      if (attempt > 1) await mkdir(path.dirname(target), { recursive: true })
      try {
        await link(source, temporary)
        break
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? ''
        if (code === 'ENOENT' && attempt < 3) continue
        if (!NO_HARD_LINKS.has(code)) throw error
        if (!warnedAboutCopies) {
          warnedAboutCopies = true
          logger.warn({ code }, 'the data dir does not take hard links; promoted files are copies')
        }
        await copyFile(source, temporary, constants.COPYFILE_FICLONE)
        break
      }
    }
    try {
      await rename(temporary, target)
    } finally {
      // Gone after a rename, except where the target was already this file: POSIX then leaves
      // both names (a repeated promotion of the same upload) and the link would outlive it.
      await rm(temporary, { force: true })
    }
  }

  return {
    async promote(plan: PromotionPlan) {
      await place(pathOf(plan.sourceKey), pathOf(plan.key))
      // Named unlike a tus info file (no `size`, no `metadata`): this JSON sits in the tus
      // store's folder tree, and must never read as an upload if an id with `/` reaches the store.
      await documents.put(`${plan.key}.json`, {
        key: plan.key,
        contentLength: plan.size,
        contentType: plan.contentType,
        cacheControl: plan.cacheControl,
        userMetadata: plan.metadata,
        // Ciphertext is bound to its upload id; decrypting needs that id, not this path.
        ...(encrypted
          ? { encryption: { algorithm: 'AES-256-GCM', boundTo: plan.metadata['upload-id'] } }
          : {}),
        promotedAt: plan.promotedAt,
      })
    },
    // The tus file and the canonical path are one inode: there is no second copy to drop.
    async releaseSource() {},
    async remove(key) {
      await rm(pathOf(key), { force: true })
      await documents.delete(`${key}.json`)
      // Day, month, year, category and user folders go when they are left empty.
      const stop = pathOf(CANONICAL_PREFIX)
      for (
        let folder = path.dirname(pathOf(key));
        folder.startsWith(`${stop}${path.sep}`);
        folder = path.dirname(folder)
      ) {
        try {
          await rmdir(folder)
        } catch {
          break
        }
      }
    },
  }
}
