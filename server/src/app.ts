import { readFile } from 'node:fs/promises'
import { ERROR_CODES, WANT_DIGEST_HEADER } from '@ferry/protocol'
import { type Locker, Metadata, type Upload } from '@tus/utils'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { requestId } from 'hono/request-id'
import type { Logger } from 'pino'
import type { ServerConfig } from './config/loadConfig.js'
import { FerryHttpError } from './errors.js'
import { corsHeaders, DOWNLOAD_HEADERS, FINAL_CREATION_HEADERS, TUS_ERROR_HEADERS, TUS_HEAD_HEADERS } from './http/corsHeaders.js'
import { CHECKSUM_ALGORITHMS } from './tus/chunkChecksum.js'
import { trailerReader } from './http/incomingMessage.js'
import { requestLog } from './http/requestLog.js'
import { rejectDuplicateHeaders } from './http/rejectDuplicateHeaders.js'
import { authenticateAnonymously } from './auth/anonymous.js'
import { createAuthMiddleware } from './auth/createAuthMiddleware.js'
import { ownerOf } from './auth/ownership.js'
import { principalOf } from './auth/principalOf.js'
import type { Authenticate } from './auth/types.js'
import type { DownloadUrlSigner } from './downloads/createDownloadUrlSigner.js'
import { filePath, outputPath } from './downloads/downloadPaths.js'
import { isSignedDownload, signedDownloadAccess } from './downloads/signedDownloadAccess.js'
import { createFileRemover } from './files/createFileRemover.js'
import type { Metrics } from './metrics/createMetrics.js'
import { metricsMiddleware } from './metrics/metricsMiddleware.js'
import { reportSettledProcessing } from './hooks/reportSettledProcessing.js'
import type { FerryHooks } from './hooks/types.js'
import { createFinalizer, quarantinedError, rejectedError } from './integrity/createFinalizer.js'
import type { StreamingDigests } from './integrity/createStreamingDigests.js'
import { createServerDigests } from './integrity/createServerDigests.js'
import { oneFinishAtATime, withFinishLock } from './integrity/finishOneAtATime.js'
import { rejectMalformedDigest } from './integrity/rejectMalformedDigest.js'
import { FerryMemoryLocker } from './locking/FerryMemoryLocker.js'
import type { Processing } from './processing/createProcessing.js'
import type { RateLimiter } from './policy/RateLimiter.js'
import type { Promotion } from './promotion/createPromotion.js'
import { createConcatenationRoutes } from './routes/concatenationRoutes.js'
import { createCreationWithUpload } from './routes/createWithUpload.js'
import { createFileApi } from './routes/fileApi.js'
import { clientMetadata } from './tus/clientMetadata.js'
import { createConcatenation, type JoinedPartial } from './tus/concatenation.js'
import { createUploadPolicy } from './tus/createUploadPolicy.js'
import { readHead } from './storage/readHead.js'
import { createChunkReceiver } from './tus/receiveChunk.js'
import { createDownloadRoute } from './routes/downloadRoute.js'
import type { StorageBackend } from './storage/types.js'
import { createTusServer, TUS_PATH } from './tus/createTusServer.js'

const DEFAULT_MAX_CHUNK_BYTES = 64 * 1024 * 1024

export interface DemoFiles {
  /** The HTML page served at `/`. */
  page: string
  /** Files served next to it, by URL path (for example `/ferry.umd.min.js`). */
  assets: Record<string, { file: string; type: string }>
}

export interface AppOptions {
  config: Pick<ServerConfig, 'corsOrigins' | 'maxSize' | 'requireDigest' | 'trustProxy'> &
    Partial<Pick<ServerConfig, 'maxChunkBytes' | 'policy' | 'serverHash'>>
  backend: StorageBackend
  logger: Logger
  /** In-process hooks; see `FerryHooks`. */
  hooks?: FerryHooks
  /** Post-processing of accepted files; none when left out. */
  processing?: Processing
  /** Names and stores accepted files under canonical keys (see promotion/); none when left out. */
  promotion?: Promotion
  /** Prometheus metrics, served at `/metrics`; none when left out. */
  metrics?: Metrics
  /**
   * Upload locks shared by server instances (see locking/createCoordination.ts).
   * @default an in-process FerryMemoryLocker
   */
  locker?: Locker
  /**
   * This instance is the only one writing uploads to its store, so it may keep per-upload state
   * between requests (the hash checkpoint is then saved without making the client wait).
   * @default true unless `locker` is shared (anything but a FerryMemoryLocker)
   */
  soleWriter?: boolean
  /**
   * Counts uploads for the policy's rate limit, shared by server instances.
   * @default an in-process limiter
   */
  rateLimiter?: RateLimiter
  /**
   * Who a request comes from; every upload belongs to its creator and is invisible to others.
   * @default everyone is the same anonymous user (the demo)
   */
  authenticate?: Authenticate
  demo?: DemoFiles
  /**
   * The uploads' SHA-256 as their bytes arrive; pass them in to `flush` them at shutdown.
   * @default built from `config.serverHash` (none for `reread`)
   */
  digests?: StreamingDigests
  /**
   * Signs download URLs that need no credentials (`<img src>`, download links): file descriptions
   * carry one, `POST /api/files/:id/download-url` makes a fresh one, and `GET`/`HEAD` of a file or
   * output accept a valid one instead of credentials (see downloads/).
   * @default none: no signed URLs, every download needs credentials
   */
  downloadUrls?: DownloadUrlSigner
}

/**
 * Builds the Ferry server as a Hono app. Does no I/O: the caller prepares the backend and serves.
 *
 * @example
 * const app = createApp({ config, backend: createBackend(config.store), logger })
 * serve({ fetch: app.fetch, port: 3000 })
 */
export function createApp({
  config,
  backend,
  logger,
  hooks = {},
  processing,
  promotion,
  demo,
  authenticate = authenticateAnonymously,
  metrics,
  locker,
  soleWriter = locker === undefined || locker instanceof FerryMemoryLocker,
  rateLimiter,
  downloadUrls,
  // The default: hash as the bytes arrive, so finishing an upload never reads it again.
  digests = createServerDigests({ serverHash: config.serverHash ?? 'stream', backend, soleWriter, logger }),
}: AppOptions): Hono {
  const policy = createUploadPolicy({
    ...(config.policy ?? { enabled: false, defaultTier: 'basic', uploadsPerMinute: 0 }),
    rateLimiter,
  })
  // Locks of Ferry's own work (a finish, a final's assembly, a file's report) beside the uploads' locks.
  const sharedLocker = locker ?? new FerryMemoryLocker()
  const finalize = oneFinishAtATime(createFinalizer({
    backend,
    digests,
    onDigest: (source) => metrics?.digests.inc({ source }),
    requireDigest: config.requireDigest,
    logger,
    hooks,
    processing,
    promotion,
    onAccepted: (record) => metrics?.uploadsCompleted.inc({ state: record.state }),
    admit: (upload) => policy.checkFinished(upload, (bytes) => readHead(backend, upload.id, bytes)),
  }), {
    locker: sharedLocker,
    // Neither bytes nor a verdict: a DELETE removed it (a refused upload keeps its record).
    isGone: async (id) =>
      !(await backend.records.get(id)) && !(await backend.datastore.getUpload(id).then(() => true, () => false)),
  })
  const concatenation = createConcatenation({
    backend,
    logger,
    locker: sharedLocker,
    onPartialRemoved: async (id) => digests?.forget(id),
    onAssembled: async (final, digest) => {
      await finalize(final, digest).catch((error: unknown) =>
        logger.warn({ err: error, uploadId: final.id }, 'a final upload assembled late failed its check'),
      )
    },
  })
  const tus = createTusServer({
    backend,
    policy,
    onPartialCompleted: (id) => concatenation.partialCompleted(id),
    finalize,
    hooks,
    logger,
    corsOrigins: config.corsOrigins,
    maxSize: config.maxSize,
    trustProxy: config.trustProxy,
    locker,
    downloadUrls,
  })
  const handleTus = (c: { req: { raw: Request } }) => tus.handleWeb(c.req.raw)
  const download = createDownloadRoute({ backend, finalize })
  const removeFileData = createFileRemover({ backend, processing, promotion, hooks, logger })
  /** Everything kept beside an upload's bytes once they are gone: its file data and hash state. */
  const dropFileData = async (id: string) => {
    await removeFileData(id)
    await digests?.forget(id)
  }

  const app = new Hono()
  app.use(requestId())
  app.use(requestLog(logger))
  app.onError((error, c) => {
    if (error instanceof FerryHttpError) return error.toResponse()
    logger.error({ err: error, requestId: c.get('requestId') }, 'unhandled error')
    return c.json({ error: { code: 'internal', message: 'ferry-server: internal error' } }, 500)
  })

  app.get('/healthz', (c) => c.json({ status: 'ok', store: backend.kind }))
  if (metrics) {
    app.get('/metrics', async (c) =>
      c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType }),
    )
    for (const path of [TUS_PATH, `${TUS_PATH}/*`]) app.use(path, metricsMiddleware(metrics))
  }
  if (processing && hooks['post-process']) {
    reportSettledProcessing({ processing, hooks, locker: sharedLocker, logger })
  }

  // Own routes come before the catch-all tus routes. Hono routes HEAD to GET handlers, so this
  // one route serves both the tus HEAD (offset and metadata) and the download.
  // A tus error this server raises itself, readable by browsers like @tus/server's own.
  const tusError = (error: FerryHttpError, origin: string | undefined) =>
    error.toResponse({
      'Tus-Resumable': '1.0.0',
      'Cache-Control': 'no-store',
      ...corsHeaders(origin, config.corsOrigins, TUS_ERROR_HEADERS),
    })
  // What a partial upload answers once it is in its final upload: complete, as it was, so a
  // client that lost the final's creation answer finds it done and does not send it again.
  const joinedPartialHead = (joined: JoinedPartial, origin: string | undefined) =>
    new Response(null, {
      status: 200,
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': String(joined.size),
        'Upload-Length': String(joined.size),
        'Upload-Concat': 'partial',
        'Cache-Control': 'no-store',
        ...corsHeaders(origin, config.corsOrigins, TUS_HEAD_HEADERS),
      },
    })

  const receiveChunk = createChunkReceiver({
    tus,
    backend,
    policy,
    digests,
    maxChunkBytes: config.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES,
  })
  const createWithUpload = createCreationWithUpload({
    tus,
    backend,
    receiveChunk,
    async discard(id) {
      await backend.datastore.remove(id)
      await dropFileData(id)
    },
  })
  const concatRoutes = createConcatenationRoutes({
    tus,
    policy,
    concatenation,
    finalize,
    tusError,
    corsHeaders: (origin) => corsHeaders(origin, config.corsOrigins, FINAL_CREATION_HEADERS),
    createWithUpload,
    maxSize: config.maxSize,
    downloadUrls,
  })

  // Every upload route and API route knows its caller, and shows an upload only to its owner:
  // anyone else gets the same 404 as for an upload that does not exist.
  const errorHeaders = (origin: string | undefined) => ({
    'Tus-Resumable': '1.0.0',
    ...corsHeaders(origin, config.corsOrigins, TUS_ERROR_HEADERS),
  })
  const auth = createAuthMiddleware({ authenticate, errorHeaders })
  const ownership: MiddlewareHandler = async (c, next) => {
    // A tus POST creates an upload (and `POST /files/<id>` is only a 405); a POST under /api/files/<id> acts on a file.
    if (c.req.method === 'OPTIONS' || (c.req.method === 'POST' && !c.req.path.startsWith('/api/'))) return next()
    const id = c.req.param('id') ?? ''
    // Hono decodes `%2F` in the id; an id is one path segment, never a way into another folder.
    const isSegment = !/[/\\]/.test(id)
    const upload = isSegment ? await backend.datastore.getUpload(id).catch(() => undefined) : undefined
    const caller = principalOf(c).userId
    // With no upload, a file record may still be the caller's; if neither is, the answer is the
    // same 404 as for someone else's upload, so answers never tell one from the other.
    // A partial upload joined into a final upload is gone but still answers its owner's HEAD.
    const owner = upload
      ? ownerOf(upload)
      : isSegment
        ? ((await backend.records.get(id).catch(() => undefined))?.owner ?? (await concatenation.joinedPartial(id))?.owner)
        : undefined
    if (owner !== caller) {
      const error = new FerryHttpError(404, ERROR_CODES.notFound, `no upload with id "${id}"`)
      return error.toResponse(errorHeaders(c.req.header('origin')))
    }
    // Routes reuse it instead of reading the upload's info again on the PATCH path.
    c.set('upload' as never, upload as never)
    await next()
  }
  // The spec's 412 names the versions this server speaks; @tus/server answers a wrong one 400.
  const requireTusVersion: MiddlewareHandler = async (c, next) => {
    const method = c.req.method
    if (method === 'OPTIONS' || method === 'GET' || c.req.header('tus-resumable') === '1.0.0') return next()
    if (method === 'HEAD' && c.req.header('tus-resumable') === undefined) return next()
    const error = new FerryHttpError(412, ERROR_CODES.unsupportedVersion, 'this server speaks tus 1.0.0 (Tus-Resumable: 1.0.0)')
    return error.toResponse({ ...errorHeaders(c.req.header('origin')), 'Tus-Version': '1.0.0' })
  }
  // The file API answers the same origins as the tus routes: an app on another origin lists and
  // deletes files, and follows processing, as it uploads. A preflight carries no credentials, so
  // this comes before the auth; the headers a preflight asks for are allowed (the authenticate hook
  // decides which it reads). Not for any origin without authentication (the demo's defaults):
  // every page a visitor opens could then list and delete the files of a server only that visitor
  // reaches (one on localhost or an intranet).
  const openToAnyone = config.corsOrigins === '*' && authenticate === authenticateAnonymously
  if (!openToAnyone) {
    app.use(
      '/api/*',
      cors({
        origin: config.corsOrigins === '*' ? '*' : config.corsOrigins,
        allowMethods: ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'],
        exposeHeaders: DOWNLOAD_HEADERS,
        maxAge: 86_400,
      }),
    )
  }
  for (const path of [TUS_PATH, `${TUS_PATH}/*`, '/api/*']) app.use(path, rejectDuplicateHeaders({ errorHeaders }))
  for (const path of [TUS_PATH, `${TUS_PATH}/*`]) app.use(path, requireTusVersion, rejectMalformedDigest(tusError))
  if (downloadUrls) {
    // Before the authentication: on these two routes, a GET or HEAD may carry a signature instead.
    const downloadErrorHeaders = (origin: string | undefined) => corsHeaders(origin, config.corsOrigins, DOWNLOAD_HEADERS)
    const access = (signedPath: (c: Context) => string) =>
      signedDownloadAccess({
        downloadUrls,
        signedPath,
        errorHeaders: downloadErrorHeaders,
        logger,
        onRefused: (reason) => metrics?.downloadSignaturesRefused.inc({ reason }),
      })
    app.use(`${TUS_PATH}/:id`, access((c) => filePath(c.req.param('id') ?? '')))
    app.use('/api/files/:id/outputs/:name', access((c) => outputPath(c.req.param('id') ?? '', c.req.param('name') ?? '')))
  }
  for (const path of [TUS_PATH, `${TUS_PATH}/*`, '/api/*']) app.use(path, auth)
  for (const path of [`${TUS_PATH}/:id`, '/api/files/:id', '/api/files/:id/*']) app.use(path, ownership)

  app.get(`${TUS_PATH}/:id`, async (c) => {
    // A signed URL is for downloads: its HEAD answers the download's headers, not the upload's state.
    if (c.req.method === 'HEAD' && !isSignedDownload(c)) {
      const record = await backend.records.get(c.req.param('id'))
      if (record?.state === 'quarantined') return tusError(quarantinedError(record.id), c.req.header('origin'))
      if (record?.state === 'rejected') return tusError(rejectedError(record), c.req.header('origin'))
      const upload = c.get('upload' as never) as Upload | undefined
      const joined = upload ? undefined : await concatenation.joinedPartial(c.req.param('id'))
      if (joined) return joinedPartialHead(joined, c.req.header('origin'))
      const response = await handleTus(c)
      const concat = response.ok ? concatRoutes.concatHeader(upload) : undefined
      if (concat) response.headers.set('Upload-Concat', concat)
      // The owner, tier and concatenation are the server's bookkeeping, not the client's metadata.
      if (response.headers.has('Upload-Metadata')) {
        const metadata = clientMetadata(upload?.metadata)
        if (Object.keys(metadata).length > 0) response.headers.set('Upload-Metadata', Metadata.stringify(metadata))
        else response.headers.delete('Upload-Metadata')
      }
      // The spec: a final upload has no offset to show until it is assembled.
      if (concat?.startsWith('final;') && upload?.offset !== upload?.size) response.headers.delete('Upload-Offset')
      return response
    }
    const cors = corsHeaders(c.req.header('origin'), config.corsOrigins, DOWNLOAD_HEADERS)
    try {
      const response = await download(c)
      for (const [name, value] of Object.entries(cors)) response.headers.set(name, value)
      return response
    } catch (error) {
      if (error instanceof FerryHttpError) return error.toResponse(cors)
      throw error
    }
  })
  app.delete(`${TUS_PATH}/:id`, async (c) => {
    const id = c.req.param('id')
    // After a finish under way, not under it: the finish would promote what is being removed.
    return withFinishLock(sharedLocker, id, async () => {
      const response = await handleTus(c)
      // Terminated means gone everywhere: the verdict and the derived files go with the bytes,
      // and a final waiting for it (or its own record of what it waits for).
      if (response.status === 204) {
        await dropFileData(id)
        await concatenation.uploadDeleted(id)
      }
      return response
    }, c.req.raw.signal)
  })
  app.post(TUS_PATH, concatRoutes.create)
  app.post(`${TUS_PATH}/`, concatRoutes.create)
  app.patch(`${TUS_PATH}/:id`, async (c) => {
    const id = c.req.param('id')
    // The spec's answer to a PATCH of another media type is 415; @tus/server answers 400 (and
    // takes no parameters on this one either).
    if (c.req.header('content-type') !== 'application/offset+octet-stream') {
      const error = new FerryHttpError(415, ERROR_CODES.unsupportedMediaType, 'PATCH requests must have Content-Type: application/offset+octet-stream')
      return tusError(error, c.req.header('origin'))
    }
    // Required by the core protocol; @tus/server answers its absence 403.
    if (c.req.header('upload-offset') === undefined) {
      const error = new FerryHttpError(400, ERROR_CODES.invalidOffset, 'PATCH requests must have an Upload-Offset header')
      return tusError(error, c.req.header('origin'))
    }
    const upload = c.get('upload' as never) as Upload | undefined
    const refusal = concatRoutes.refusePatchToFinal(id, upload)
    if (refusal) return tusError(refusal, c.req.header('origin'))
    try {
      return await receiveChunk({ id, request: c.req.raw, upload, readTrailer: trailerReader(c.env, 'upload-checksum') })
    } catch (error) {
      if (error instanceof FerryHttpError) return tusError(error, c.req.header('origin'))
      throw error
    }
  })

  const advertiseChecksums = async (c: { req: { raw: Request } }) => {
    const response = await handleTus(c)
    response.headers.set('Tus-Checksum-Algorithm', CHECKSUM_ALGORITHMS.join(','))
    response.headers.set(WANT_DIGEST_HEADER, 'sha-256=10')
    return response
  }
  app.options(TUS_PATH, advertiseChecksums)
  app.options(`${TUS_PATH}/`, advertiseChecksums)
  app.options(`${TUS_PATH}/:id`, advertiseChecksums)
  const removeFileAfterFinish = (id: string) => withFinishLock(sharedLocker, id, () => removeFileData(id))
  app.route('/api/files', createFileApi({ backend, processing, removeFileData: removeFileAfterFinish, downloadUrls }))
  // Nothing else reaches @tus/server: it would take the last segment of any longer path as an
  // upload id (`/files/x/<id>`, `/files/<id>/`) and serve it past the checks above.
  const methodNotAllowed = (allowed: string) => (c: { req: { method: string; header: (name: string) => string | undefined } }) => {
    const error = new FerryHttpError(405, ERROR_CODES.methodNotAllowed, `${c.req.method} is not a method of this URL; use ${allowed}`, {
      headers: { Allow: allowed },
    })
    return tusError(error, c.req.header('origin'))
  }
  app.all(TUS_PATH, methodNotAllowed('POST, OPTIONS'))
  app.all(`${TUS_PATH}/`, methodNotAllowed('POST, OPTIONS'))
  app.all(`${TUS_PATH}/:id`, methodNotAllowed('GET, HEAD, PATCH, DELETE, OPTIONS'))
  app.all(`${TUS_PATH}/*`, (c) =>
    tusError(new FerryHttpError(404, ERROR_CODES.notFound, 'no upload at this path: upload URLs are /files/<id>'), c.req.header('origin')),
  )

  if (demo) {
    app.get('/', async (c) => c.html(await readFile(demo.page, 'utf8')))
    for (const [urlPath, asset] of Object.entries(demo.assets)) {
      app.get(urlPath, async (c) =>
        c.body(await readFile(asset.file), 200, {
          'Content-Type': asset.type,
          'Cache-Control': 'no-cache',
        }),
      )
    }
  }
  return app
}
