import { DIGEST_HEADER, FILE_DESCRIPTION_MEDIA_TYPE, WANT_DIGEST_HEADER } from '@ferry/protocol'
import { Server } from '@tus/server'
import { EVENTS, type Locker, type Upload } from '@tus/utils'
import type { Logger } from 'pino'
import { OWNER_METADATA_KEY, TIER_METADATA_KEY } from '../auth/ownership.js'
import { claimsOf } from './creationClaims.js'
import { FerryHttpError } from '../errors.js'
import { runPostHook } from '../hooks/runHooks.js'
import { type FerryHooks, HookRejection } from '../hooks/types.js'
import { uploadInfo } from '../hooks/uploadInfo.js'
import type { createFinalizer } from '../integrity/createFinalizer.js'
import type { StorageBackend } from '../storage/types.js'
import { CONCAT_METADATA_KEY } from './concatenation.js'
import type { UploadPolicy } from './createUploadPolicy.js'
import { describeFile } from './describeFile.js'
import type { DownloadUrlSigner } from '../downloads/createDownloadUrlSigner.js'
import { signedFileUrl } from '../downloads/signedUrls.js'
import { FerryMemoryLocker } from '../locking/FerryMemoryLocker.js'

export const TUS_PATH = '/files'

export interface TusServerOptions {
  backend: StorageBackend
  policy: UploadPolicy
  /** Told when a partial upload completes, so finals waiting for it can be assembled. */
  onPartialCompleted: (id: string) => Promise<void>
  finalize: ReturnType<typeof createFinalizer>
  hooks: FerryHooks
  logger: Logger
  corsOrigins: string[] | '*'
  maxSize: number
  trustProxy: boolean
  /**
   * Upload locks; a RedisLocker when several instances serve the same uploads.
   * @default new FerryMemoryLocker() (this process only)
   */
  locker?: Locker
  /** Signs the download URL in the finished file's description; none when left out. */
  downloadUrls?: DownloadUrlSigner
}

/**
 * The tus endpoint: @tus/server on the configured store, with Ferry's integrity check run on the
 * request that completes each upload. That request is answered `200` with the file's description
 * as JSON instead of an empty `204`, which tus clients accept (tus-js-client hands it to
 * `onSuccess` as `lastResponse`).
 */
export function createTusServer(options: TusServerOptions): Server {
  const { backend, finalize, hooks, logger } = options
  // Handled in front of @tus/server (receiveChunk, concatenation); listed for OPTIONS.
  // concatenation-unfinished: finals may be declared before their partials finish (the spec asks
  // servers to say so, or clients will not).
  for (const extension of ['checksum', 'checksum-trailer', 'concatenation', 'concatenation-unfinished']) {
    if (!backend.datastore.extensions.includes(extension)) backend.datastore.extensions.push(extension)
  }
  // @tus/server answers a hook's error with its status and body only; the headers (Retry-After)
  // are added to its answer here.
  const refusals = new WeakMap<Request, FerryHttpError>()
  const server = new Server({
    path: TUS_PATH,
    datastore: backend.datastore,
    locker: options.locker ?? new FerryMemoryLocker(),
    maxSize: options.maxSize,
    respectForwardedHeaders: options.trustProxy,
    allowedOrigins: options.corsOrigins === '*' ? undefined : options.corsOrigins,
    getFileIdFromRequest: uploadIdOf,
    allowedHeaders: [DIGEST_HEADER, 'Upload-Checksum', 'Range', 'If-None-Match', 'If-Range'],
    exposedHeaders: [DIGEST_HEADER, WANT_DIGEST_HEADER, 'Retry-After', 'Tus-Checksum-Algorithm'],
    async onUploadCreate(request, upload) {
      try {
        await hooks['pre-create']?.({ request, upload: uploadInfo(upload) })
      } catch (error) {
        if (error instanceof HookRejection) {
          throw new FerryHttpError(error.status, 'rejected', error.message)
        }
        throw error
      }
      // Established by the app, never taken from the client: the owner, the tier whose policy
      // applies, and whether this is a partial upload (`Upload-Concat: partial`, which
      // @tus/server itself refuses).
      const claims = claimsOf(request)
      if (!claims) throw new Error('ferry-server: an upload creation reached tus without the app vetting it')
      const allowed = options.policy.metadataAtCreation(upload, claims.tier ?? null, { partial: claims.partial })
      const { [OWNER_METADATA_KEY]: _claimed, [CONCAT_METADATA_KEY]: _concat, [TIER_METADATA_KEY]: _tier, ...metadata } = allowed
      return {
        metadata: {
          ...metadata,
          [OWNER_METADATA_KEY]: claims.owner,
          ...(claims.tier ? { [TIER_METADATA_KEY]: claims.tier } : {}),
          ...(claims.partial ? { [CONCAT_METADATA_KEY]: 'partial' } : {}),
        },
      }
    },
    async onUploadFinish(request, upload) {
      if (upload.metadata?.[CONCAT_METADATA_KEY] === 'partial') {
        await options.onPartialCompleted(upload.id)
        return {}
      }
      try {
        const { record, processing } = await finalize(upload, request.headers.get(DIGEST_HEADER), request)
        logger.info({ uploadId: upload.id, size: record.size, state: record.state }, 'upload finished')
        // A creation request that completes the upload (an empty file, or creation-with-upload)
        // keeps its 201: clients need the Location header that @tus/server sends only with it.
        const isCreation = request.method === 'POST'
        const uploadUrl = new URL(`${TUS_PATH}/${upload.id}`, request.url).href
        const eventsUrl =
          processing === 'none' ? undefined : new URL(`/api/files/${upload.id}/events`, request.url).href
        return {
          status_code: isCreation ? undefined : 200,
          headers: { 'Content-Type': FILE_DESCRIPTION_MEDIA_TYPE },
          body: JSON.stringify(
            describeFile(record, {
              uploadUrl,
              processing,
              eventsUrl,
              download: signedFileUrl(options.downloadUrls, record, new URL(uploadUrl).origin),
            }),
          ),
        }
      } catch (error) {
        if (error instanceof FerryHttpError) throw error
        logger.error({ err: error, uploadId: upload.id }, 'finishing the upload failed')
        throw error
      }
    },
    onResponseError(request, error) {
      // Ferry's own refusals, from the hooks and the store, answer with their status, body and headers.
      if (error instanceof FerryHttpError) {
        refusals.set(request, error)
        return error.toTusError()
      }
      if (error instanceof Error && !('status_code' in error)) {
        logger.error({ err: error }, 'tus request failed')
      }
      return undefined
    },
  })
  server.on(EVENTS.POST_CREATE, (_request: unknown, upload: Upload) => {
    void runPostHook(hooks, 'post-create', { upload: uploadInfo(upload) }, logger)
  })
  if (hooks['post-receive']) {
    server.on(EVENTS.POST_RECEIVE, (_request: unknown, upload: Upload) => {
      void runPostHook(hooks, 'post-receive', { upload: uploadInfo(upload) }, logger)
    })
  }
  const handleWeb = server.handleWeb.bind(server)
  server.handleWeb = async (request: Request) => {
    const response = await handleWeb(request)
    for (const [name, value] of Object.entries(refusals.get(request)?.headers ?? {})) response.headers.set(name, value)
    return response
  }
  return server
}

/**
 * The upload id in a tus URL: its path's last segment. @tus/server's own reading takes a query
 * string along with it (`/files/<id>?download=1` would name no upload).
 */
function uploadIdOf(request: Request): string | undefined {
  const segment = /\/([^/]+)\/?$/.exec(new URL(request.url).pathname)?.[1]
  if (segment === undefined || `/${segment}` === TUS_PATH) return undefined
  let id: string
  try {
    id = decodeURIComponent(segment)
  } catch {
    return undefined
  }
  return /[/\\\0]/.test(id) ? undefined : id
}
