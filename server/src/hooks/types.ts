import type { FileDescription, ProcessingManifest } from '@ferry/protocol'

/** What hooks learn about an upload. */
export interface UploadInfo {
  id: string
  /** `undefined` while the length is deferred. */
  size: number | undefined
  offset: number
  metadata: Record<string, string | null>
}

export interface HookEvents {
  /** Before an upload is created; throw a `HookRejection` to refuse it. */
  'pre-create': { request: Request; upload: UploadInfo }
  'post-create': { upload: UploadInfo }
  /** While bytes arrive, at most once a second per upload. */
  'post-receive': { upload: UploadInfo }
  /** After the digest check passed, before the file is accepted; throw a `HookRejection` to refuse it. */
  'pre-finish': { request: Request | undefined; upload: UploadInfo; file: Omit<FileDescription, 'url' | 'processing'> }
  'post-finish': { file: Omit<FileDescription, 'url' | 'eventsUrl'> }
  'post-terminate': { uploadId: string }
  /** When every processing job of a file has finished, done or failed. */
  'post-process': { fileId: string; manifest: ProcessingManifest }
}

export type HookName = keyof HookEvents

/**
 * In-process hooks for apps that embed the server. `pre-*` hooks run before the server answers
 * and may reject; `post-*` hooks run after, and their errors are logged, never sent to clients.
 *
 * @example
 * createApp({ ..., hooks: {
 *   'pre-create': ({ upload }) => {
 *     if (!upload.metadata.filename) throw new HookRejection(400, 'a filename is required')
 *   },
 * } })
 */
export type FerryHooks = { [Name in HookName]?: (payload: HookEvents[Name]) => void | Promise<void> }

/** Thrown by a `pre-*` hook to refuse an upload; the client gets `status` and `message`. */
export class HookRejection extends Error {
  override name = 'HookRejection'
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}
