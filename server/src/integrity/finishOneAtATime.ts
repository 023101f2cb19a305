import { ERROR_CODES } from '@ferry/protocol'
import { ERRORS, type Locker } from '@tus/utils'
import { FerryHttpError } from '../errors.js'

/**
 * Runs `work` while holding the finish lock of upload `id`, in this process or, with a shared
 * locker (Redis), across instances. @tus/server releases an upload's lock before it finishes the
 * upload, so without this a download or a zero-length PATCH that arrives meanwhile would finish
 * it a second time (two promotions, two owner-index entries, two processing triggers), and a
 * DELETE would remove it under the finish. Waits however long the holder takes (a promotion
 * copies the whole file on S3), unless `signal` (the request's) is aborted first.
 */
export async function withFinishLock<T>(
  locker: Locker,
  id: string,
  work: (waited: boolean) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const lock = locker.newLock(`finish:${id}`)
  // First without waiting (the lockers take a free lock even when told to stop): `waited` tells
  // the work whether something else held the upload meanwhile.
  let waited = false
  for (let stop = AbortSignal.abort(); ; stop = signal ?? new AbortController().signal) {
    try {
      // Nobody asks a finish to stop early: it ends by itself.
      await lock.lock(stop, () => {})
      break
    } catch (error) {
      if (error !== ERRORS.ERR_LOCK_TIMEOUT || signal?.aborted) throw error
      waited = true
    }
  }
  try {
    return await work(waited)
  } finally {
    await lock.unlock()
  }
}

/**
 * `finalize` that finishes each upload one at a time (see `withFinishLock`). If it had to wait for
 * the lock it asks `isGone` first: a DELETE that held the lock meanwhile has removed the upload,
 * and finishing it would promote, record or process a file that no longer exists.
 */
export function oneFinishAtATime<Upload extends { id: string }, Rest extends unknown[], Result>(
  finalize: (upload: Upload, ...rest: Rest) => Promise<Result>,
  { locker, isGone }: { locker: Locker; isGone: (id: string) => Promise<boolean> },
): (upload: Upload, ...rest: Rest) => Promise<Result> {
  return (upload, ...rest) =>
    withFinishLock(locker, upload.id, async (waited) => {
      if (waited && (await isGone(upload.id))) {
        throw new FerryHttpError(404, ERROR_CODES.notFound, `upload ${upload.id} was deleted while it was being finished`)
      }
      return finalize(upload, ...rest)
    })
}
