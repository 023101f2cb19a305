import type { Logger } from 'pino'
import type { StorageBackend } from '../storage/types.js'
import { createBusyGate } from './busyGate.js'
import { createStreamingDigests, type StreamingDigests } from './createStreamingDigests.js'
import { createHashCheckpoints } from './hashCheckpoints.js'
import { createHashWorkers } from './hashWorkers.js'

export interface ServerDigestOptions {
  /** `stream` hashes uploads as they arrive; `reread` reads each finished upload again (no digests). */
  serverHash: 'stream' | 'reread'
  backend: StorageBackend
  /** This process is the only one writing uploads (see `StreamingDigestOptions.soleWriter`). */
  soleWriter: boolean
  logger: Logger
}

/** The streaming digests a server runs on its store, or `undefined` when it re-reads instead. */
export function createServerDigests({ serverHash, backend, soleWriter, logger }: ServerDigestOptions): StreamingDigests | undefined {
  if (serverHash !== 'stream') return undefined
  // On disk an unfinished upload's bytes can be read back; on S3 they sit in parts.
  const readsBack = backend.kind === 'disk'
  // Hashed in memory, with checkpoints trailing (see createStreamingDigests).
  const live = soleWriter && readsBack
  const busy = live ? createBusyGate() : undefined
  const digests = createStreamingDigests({
    checkpoints: createHashCheckpoints(backend.documents),
    // Hashing in memory needs these only to continue an upload after a restart.
    workers: createHashWorkers({ eager: !live }),
    soleWriter,
    trailWorkers: busy ? createHashWorkers({ priority: 'background', pauseWhile: busy.flag }) : undefined,
    offsetOf: (id) => backend.datastore.getUpload(id).then((upload) => upload.offset, () => undefined),
    readStored: readsBack ? (id, range) => backend.objects.read(backend.keyOf(id), range) : undefined,
    logger,
  })
  return {
    ...digests,
    close: () => {
      busy?.stop()
      return digests.close()
    },
  }
}
