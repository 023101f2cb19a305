import {
  DIGEST_HEADER,
  FILE_DESCRIPTION_MEDIA_TYPE,
  type FileDescription,
  formatSha256Digest,
  METADATA_KEYS,
} from '@ferry/protocol'
import {
  DefaultHttpStack,
  type HttpRequest,
  type HttpResponse,
  type HttpStack,
  Upload as TusUpload,
} from 'tus-js-client'
import { errorFromResponse, FerryError } from '../errors.js'
import { Emitter } from '../events/Emitter.js'
import { ChunkDigests } from '../hash/ChunkDigests.js'
import type { HashCheckpoint } from '../hash/types.js'
import { WorkerHasher } from '../hash/WorkerHasher.js'
import { followProcessing } from '../processing/followProcessing.js'
import { defaultBackoffOptions } from '../retry/backoff.js'
import { SpeedMeter } from '../progress/SpeedMeter.js'
import { defaultUrlStorage } from '../storage/defaultUrlStorage.js'
import { fingerprint } from '../storage/fingerprint.js'
import { forgivingUrlStorage } from '../storage/forgivingUrlStorage.js'
import { trackStorageKey } from '../storage/trackStorageKey.js'
import type { FerryUrlStorage } from '../storage/types.js'
import { newestFirst } from '../storage/uploadRecords.js'
import { validateFile } from '../validation/validateFiles.js'
import { checksumHttpStack } from './checksumHttpStack.js'
import { checkUploadOptions } from './checkUploadOptions.js'
import { chunkAlignedParts, type PartBoundary, sameParts } from './chunkAlignedParts.js'
import { discoverServer } from './discoverServer.js'
import { FileOffsets } from './FileOffsets.js'
import { headFailuresRetried } from './headFailuresRetried.js'
import { retryableFinalCreation } from './retryableFinalCreation.js'
import { sendFinalizeRequest } from './sendFinalizeRequest.js'
import { StallWatchdog } from './StallWatchdog.js'
import { type RetryEvent, tusRetryOptions } from './tusRetry.js'
import {
  defaultUploadOptions,
  type UploadEvents,
  type UploadOptions,
  type UploadState,
} from './uploadOptions.js'
import {
  type Attempt,
  createAttempt,
  fromTusError,
  parseDescription,
  toFerryError,
  withoutUndefined,
} from './uploadResults.js'
import { isOnline, watchConnectivity } from './watchConnectivity.js'

export { defaultUploadOptions, type UploadEvents, type UploadOptions, type UploadState }

/** The body type of a PATCH, and of a creation that carries bytes. */
const TUS_CHUNK_MEDIA_TYPE = 'application/offset+octet-stream'

type ResolvedOptions = Required<Omit<UploadOptions, 'urlStorage'>> & Pick<UploadOptions, 'urlStorage'>

/**
 * One file's upload: validated first, then sent over tus in chunks while a Worker computes its
 * SHA-256, which goes with the request that completes the upload; the server checks it against
 * the bytes it stored. Resumes after a reload (IndexedDB), retries what is worth retrying, waits
 * out offline periods and restarts stalled requests. `start()` resolves with the server's
 * description of the stored file.
 *
 * @example
 * const upload = new FerryUpload(file, { endpoint: '/files/' })
 * upload.on('progress', ({ bytesUploaded, bytesTotal, eta }) => render(bytesUploaded / bytesTotal, eta))
 * const stored = await upload.start()
 */
export class FerryUpload extends Emitter<UploadEvents> {
  readonly file: Blob
  readonly options: ResolvedOptions
  #state: UploadState = 'idle'
  #tus: TusUpload | undefined
  #digest: Promise<Uint8Array> | undefined
  #digestSettled = false
  #chunkDigests: ChunkDigests | undefined
  #hashAbort: AbortController | undefined
  /** Gives back the hash worker started ahead of hashing, if hashing does not come. */
  #unprepare: (() => void) | undefined
  #attempt: Attempt | undefined
  /**
   * Counts the set-ups `start()` began; a pause, cancel or failure counts one more. A set-up that
   * is no longer the latest stops at its next step, so pausing and starting again while the first
   * is still asking the server or IndexedDB never runs two uploads of the file.
   */
  #run = 0
  #storage: FerryUrlStorage | undefined
  #storageKey: string | undefined
  /** Aborts what follows a successful upload: the finishing request, following processing. */
  #afterUpload: AbortController | undefined
  #stalled = false
  /** Stalls restarted since the server last acknowledged bytes: past `retry.maxAttempts` the upload fails. */
  #stallsInARow = 0
  #parallel = false
  /** With parallel uploads: the parts, whole chunks each, and where tus-js-client's slices start. */
  #parts: PartBoundary[] | undefined
  #offsets: FileOffsets | undefined
  #repeatableFinal = false
  /** The whole file goes in the creation request (tus creation-with-upload): one request, not two. */
  #sendWithCreation = false
  /**
   * Whether the completing request carries `Repr-Digest`: to a server that asked for it, or one
   * that could not be asked. A tus server that answered OPTIONS without asking (stock
   * @tus/server) would refuse the header from another origin, and would not check it anyway.
   */
  #sendDigest = true
  #pausedForOffline = false
  #stopWatchingConnectivity: (() => void) | undefined
  readonly #speed = new SpeedMeter()
  readonly #watchdog: StallWatchdog

  /** @throws FerryError `invalid-option` for options no upload could work with */
  constructor(file: Blob, options: UploadOptions) {
    super()
    checkUploadOptions(options)
    this.file = file
    this.options = {
      ...defaultUploadOptions,
      ...withoutUndefined(options),
      endpoint: options.endpoint,
      hasher: options.hasher ?? new WorkerHasher(),
    }
    this.#watchdog = new StallWatchdog({
      timeout: this.options.stallTimeout,
      onStall: () => this.#restartStalled(),
    })
  }

  get state(): UploadState {
    return this.#state
  }

  /** The upload URL, once the server has created the upload. */
  get url(): string | null {
    return this.#tus?.url ?? null
  }

  /**
   * Starts the upload, or continues it after `pause()` or a failure, from the server's offset.
   * Resolves once the server has stored and checked the file; every call while the same attempt
   * is under way returns the same promise.
   */
  start(): Promise<FileDescription> {
    const running = ['uploading', 'retrying', 'hashing', 'verifying', 'processing', 'done']
    if (this.#attempt && running.includes(this.#state)) return this.#attempt.promise
    if (!this.#attempt || this.#state === 'failed' || this.#state === 'cancelled') {
      this.#attempt = createAttempt()
    }
    const attempt = this.#attempt
    const run = ++this.#run
    this.#stopWatchingConnectivity ??= watchConnectivity(
      () => this.#onOffline(),
      () => this.#onOnline(),
    )
    this.#setState('uploading')
    if (!isOnline()) {
      this.#waitForNetwork()
      return attempt.promise
    }
    this.#pausedForOffline = false
    this.#begin(run).catch((error: unknown) => {
      if (run === this.#run) this.#fail(toFerryError(error))
    })
    return attempt.promise
  }

  /** Stops sending; `start()` continues from the server's offset. Hashing carries on meanwhile. */
  async pause(): Promise<void> {
    // Paused while waiting for the network: it stays paused when the network is back.
    if (this.#state === 'paused') this.#pausedForOffline = false
    if (!['uploading', 'retrying'].includes(this.#state)) return
    this.#run++
    this.#setState('paused')
    this.#watchdog.stop()
    this.#speed.reset()
    await this.#tus?.abort(false)
  }

  /** Stops the upload for good and deletes what the server holds of it. */
  async cancel(): Promise<void> {
    if (['done', 'failed', 'cancelled'].includes(this.#state)) return
    this.#run++
    this.#setState('cancelled')
    this.#cleanUp()
    this.#abandonHashing()
    this.#afterUpload?.abort()
    // Settled before the deletion, which may take its retries: the caller learns at once.
    this.#attempt?.reject(new FerryError('the upload was cancelled', { code: 'cancelled' }))
    const tus = this.#tus
    if (tus?.url) await tus.abort(true).catch(() => tus.abort(false))
    else await tus?.abort(false)
  }

  async #begin(run: number): Promise<void> {
    // After each wait: still the latest set-up, neither paused nor cancelled meanwhile?
    const current = () => run === this.#run && this.#state === 'uploading'
    await validateFile(this.file, this.options.validation)
    if (!current()) return
    // Both before the lookups below: the server's answer and a started hash worker are what the
    // first PATCH waits for (its chunk's checksum), so they overlap the rest of the set-up.
    const discovery = discoverServer(this.options.endpoint, this.options.headers)
    // Once: a second set-up (paused and started again meanwhile) must not drop the first's release.
    if (!this.#digest) this.#unprepare ??= this.options.hasher.prepare?.()
    const storage = trackStorageKey(
      forgivingUrlStorage(await (this.options.urlStorage ?? defaultUrlStorage())),
      (key) => (this.#storageKey = key),
      // Partial uploads resume only into the same parts: stored with them, compared below.
      (upload) => (this.#parts ? { ...upload, parallelUploadBoundaries: this.#parts } : upload),
    )
    // Asked once per page and endpoint: after the first upload this is an answer already there.
    this.#storage = storage
    const server = await discovery
    if (!current()) return
    const { chunkSize, parallelUploads } = this.options
    // A file of fewer chunks than `parallelUploads` gets fewer parts; one of a single chunk, one
    // stream (tus-js-client refuses a count of parts other than `parallelUploads`).
    const parts =
      parallelUploads > 1 && server.extensions.includes('concatenation')
        ? chunkAlignedParts(
            this.file.size,
            Number.isSafeInteger(chunkSize) ? chunkSize : Math.ceil(this.file.size / parallelUploads),
            parallelUploads,
          )
        : []
    this.#parallel = parts.length > 1
    this.#parts = this.#parallel ? parts : undefined
    this.#offsets = this.#parts ? new FileOffsets(this.file) : undefined
    // A file that fits in one chunk needs one request where the server takes bytes in the POST:
    // for a queue of small files, that halves the requests and the server's work per file.
    this.#sendWithCreation =
      !this.#parallel &&
      server.extensions.includes('creation-with-upload') &&
      this.file.size > 0 &&
      this.file.size <= this.options.chunkSize
    // Such a file has nothing to resume (an interrupted creation leaves no upload URL), so it
    // needs no fingerprint and no lookup: reading its head and IndexedDB cost each small file
    // of a queue more than its hash did.
    const fileFingerprint = this.#sendWithCreation
      ? undefined
      : await fingerprint(this.file, { endpoint: this.options.endpoint }).catch(() => undefined)
    const found = fileFingerprint ? newestFirst(await storage.findUploadsByFingerprint(fileFingerprint)) : []
    if (!current()) return
    // Partial uploads made with other parts (another chunk size or count, or an SDK that cut the
    // file evenly) would be joined into the wrong file: those start over instead, and their
    // records go, or the next reload would find them first again.
    const fitsParts = (upload: (typeof found)[number]) => !upload.parallelUploadUrls || sameParts(partsOf(upload), this.#parts)
    for (const upload of found) if (!fitsParts(upload) && upload.urlStorageKey) void storage.removeUpload(upload.urlStorageKey)
    const previous = found.find(fitsParts)
    if (previous) this.#storageKey = previous.urlStorageKey
    const checksums =
      this.options.chunkChecksums &&
      typeof crypto !== 'undefined' &&
      Boolean(crypto.subtle) &&
      server.extensions.includes('checksum') &&
      server.checksumAlgorithms.includes('sha256')
    // Asking for the file's SHA-256 marks the Ferry server, which answers a final's creation sent
    // again with the final the first one made. Another server may make a second final instead
    // (tusd keeps the partials), so there a lost answer stays an error, as tus-js-client has it.
    this.#repeatableFinal = this.#parallel && server.wantsSha256Digest
    this.#sendDigest = !server.answered || server.wantsSha256Digest
    if (!this.#digest) {
      const checkpoint = this.#storageKey ? await storage.loadHashState(this.#storageKey) : undefined
      if (!current()) return
      const digest = this.#startHashing(storage, checkpoint, checksums)
      this.#digest = digest
      // A hashing failure must surface even while the upload is still sending bytes; that of a
      // hash abandoned meanwhile (a failure, a cancel) concerns no run any more.
      digest.catch((error: unknown) => {
        if (this.#digest === digest) this.#fail(toFerryError(error))
      })
    }
    const tus = this.#createTusUpload(storage, fileFingerprint, checksums)
    this.#tus = tus
    if (previous) tus.resumeFromPreviousUpload(previous)
    this.#watchdog.touch()
    tus.start()
  }

  #createTusUpload(storage: FerryUrlStorage, fileFingerprint: string | undefined, checksums: boolean): TusUpload {
    const { endpoint, chunkSize, headers } = this.options
    const fileInfo = this.file as Partial<File>
    return new TusUpload(this.file, {
      endpoint,
      chunkSize,
      headers,
      metadata: {
        [METADATA_KEYS.name]: fileInfo.name ?? 'blob',
        [METADATA_KEYS.type]: this.file.type || 'application/octet-stream',
        ...this.options.metadata,
      },
      urlStorage: storage,
      ...(this.#parts ? { parallelUploads: this.#parts.length } : {}),
      ...(this.#parts && this.#offsets
        ? { parallelUploadBoundaries: this.#parts, fileReader: this.#offsets.fileReader }
        : {}),
      uploadDataDuringCreation: this.#sendWithCreation,
      ...this.#httpStack(checksums),
      fingerprint: async () => fileFingerprint ?? '',
      // Without a content fingerprint (no WebCrypto on plain http, or a file sent whole in its
      // creation) two files could be confused, and there is nothing to resume.
      storeFingerprintForResuming: fileFingerprint !== undefined,
      // Removed once the server has checked the file (#succeed): the request delivering the
      // digest may still fail after tus-js-client's "success", and must then resume.
      removeFingerprintOnSuccess: false,
      ...tusRetryOptions({
        backoff: this.options.retry,
        isStall: () => this.#stalled,
        onRetry: (event) => this.#onRetry(event),
        onOffline: () => this.#waitForNetwork(),
      }),
      onBeforeRequest: (request) => this.#attachDigestToFinalPatch(request),
      onProgress: (bytesUploaded, bytesTotal) => {
        if (!this.#isSending()) return
        this.#watchdog.touch()
        if (this.#state === 'retrying') this.#setState('uploading')
        this.#speed.update(bytesUploaded)
        const { speed } = this.#speed
        this.emit('progress', { bytesUploaded, bytesTotal, speed, eta: this.#speed.eta(bytesTotal) })
      },
      // Bytes the server acknowledged (sent bytes alone may be a request that hangs unanswered).
      onChunkComplete: () => {
        this.#stallsInARow = 0
      },
      onSuccess: ({ lastResponse }) => {
        this.#watchdog.stop()
        this.#finish(lastResponse).then(
          (file) => this.#succeed(file),
          (error: unknown) => this.#fail(toFerryError(error)),
        )
      },
      // A failure while offline left the upload waiting for the network (#waitForNetwork).
      onError: (error) => {
        if (!this.#pausedForOffline) this.#fail(fromTusError(error))
      },
    })
  }

  /** tus-js-client's own stack, under chunk checksums and a repeatable final creation where they apply. */
  #httpStack(checksums: boolean): { httpStack?: HttpStack } {
    const stack = headFailuresRetried(checksums ? this.#checksumHttpStack() : new DefaultHttpStack({}))
    return { httpStack: this.#repeatableFinal ? retryableFinalCreation(stack) : stack }
  }

  /**
   * Chunk checksums from the hasher, which digests each chunk as it reads the file for the
   * whole-file hash; waiting for it is not a stall. With parallel uploads a PATCH's offset is
   * within its part, so the chunk's place in the file comes from the slices tus-js-client took.
   */
  #checksumHttpStack() {
    const chunkDigest = ({ body, offset }: { body: Blob; offset: number }) => {
      const start = this.#parallel ? this.#offsets?.startOf(body) : offset
      const pending = start === undefined ? undefined : this.#chunkDigests?.get(start, start + body.size)
      if (!pending) return undefined
      this.#watchdog.stop()
      return pending.finally(() => this.#watchdog.touch())
    }
    return checksumHttpStack({ httpStack: new DefaultHttpStack({}), chunkDigest })
  }

  #startHashing(
    storage: FerryUrlStorage,
    resumeFrom: HashCheckpoint | undefined,
    withChunkDigests: boolean,
  ): Promise<Uint8Array> {
    this.#hashAbort = new AbortController()
    this.#unprepare = undefined // the digest below takes what was prepared
    this.#digestSettled = false
    this.#chunkDigests?.stop()
    const { chunkSize } = this.options
    // Parallel parts are whole chunks (chunkAlignedParts), so their chunks are the hasher's too.
    const chunkDigests =
      withChunkDigests && this.options.hasher.digestsChunks && Number.isSafeInteger(chunkSize)
        ? new ChunkDigests({ chunkSize, fileSize: this.file.size, from: resumeFrom?.offset ?? 0 })
        : undefined
    this.#chunkDigests = chunkDigests
    const bytesTotal = this.file.size
    const digest = this.options.hasher.digest(this.file, {
      signal: this.#hashAbort.signal,
      ...(resumeFrom ? { resumeFrom } : {}),
      ...(chunkDigests ? { chunkDigests: { chunkSize, onChunk: (chunk) => chunkDigests.add(chunk) } } : {}),
      onProgress: (bytesHashed) => this.emit('hash-progress', { bytesHashed, bytesTotal }),
      onCheckpoint: ({ state, offset }) => {
        if (this.#storageKey) void storage.saveHashState(this.#storageKey, state, offset).catch(() => {})
      },
    })
    digest.then(
      () => (this.#digestSettled = true),
      () => {},
    )
    // Whatever the hasher did not digest by the time it stopped is digested by the HTTP stack.
    digest.finally(() => chunkDigests?.stop()).catch(() => {})
    return digest
  }

  /**
   * The request that completes the upload carries the digest, waiting for hashing if needed: the
   * PATCH that writes the last byte, the creation that carries the whole file, or with parallel
   * uploads the creation of the final upload.
   */
  async #attachDigestToFinalPatch(request: HttpRequest): Promise<void> {
    if (!this.#digest || !this.#sendDigest) return
    if (this.#parallel) {
      if (request.getMethod() !== 'POST' || !request.getHeader('Upload-Concat')?.startsWith('final')) return
    } else if (request.getMethod() === 'POST') {
      if (!this.#sendWithCreation || request.getHeader('Content-Type') !== TUS_CHUNK_MEDIA_TYPE) return
    } else {
      if (request.getMethod() !== 'PATCH') return
      const offset = Number(request.getHeader('Upload-Offset'))
      if (offset + this.options.chunkSize < this.file.size) return
    }
    if (!this.#digestSettled) {
      this.#watchdog.stop()
      this.#setState('hashing')
    }
    const digest = await this.#digest
    if (!this.#isSending()) return // paused or cancelled meanwhile: this request is not sent
    this.#setState('verifying')
    this.#watchdog.touch()
    request.setHeader(DIGEST_HEADER, formatSha256Digest(digest))
  }

  /**
   * Reads the file description from the answer to the final PATCH. When there is none (the upload
   * was already complete on resume, or the file is empty), a zero-length PATCH delivers the digest.
   */
  async #finish(lastResponse: HttpResponse): Promise<FileDescription> {
    if (lastResponse.getHeader('Content-Type')?.startsWith(FILE_DESCRIPTION_MEDIA_TYPE)) {
      return parseDescription(lastResponse.getBody(), lastResponse.getStatus())
    }
    const url = this.#tus?.url
    if (!url || !this.#digest) {
      throw new FerryError('the server did not return an upload URL', { code: 'invalid-response' })
    }
    this.#setState('verifying')
    const digest = await this.#digest
    if (!this.#sendDigest) return this.#describeUnverified(url, digest)
    this.#afterUpload = new AbortController()
    const response = await sendFinalizeRequest({
      url,
      size: this.file.size,
      digest: formatSha256Digest(digest),
      headers: this.options.headers,
      backoff: this.options.retry,
      signal: this.#afterUpload.signal,
      onRetry: (event) => this.#onRetry(event, { watched: false }),
    })
    if (response.status < 200 || response.status >= 300) {
      // The server has all the bytes and refused them (a digest mismatch): nothing to resume.
      this.#forgetResumeRecord()
      throw errorFromResponse(response, 'the server refused to finish the upload')
    }
    if (response.contentType?.startsWith(FILE_DESCRIPTION_MEDIA_TYPE)) {
      return parseDescription(response.body, response.status)
    }
    // A tus server without Ferry's verification (stock @tus/server, tusd): the upload is stored,
    // but nobody checked its bytes, and the description says so.
    return this.#describeUnverified(url, digest)
  }

  #describeUnverified(url: string, digest: Uint8Array): FileDescription {
    const fileInfo = this.file as Partial<File>
    return {
      id: new URL(url).pathname.split('/').filter(Boolean).at(-1) ?? url,
      url,
      key: '',
      size: this.file.size,
      sha256: Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join(''),
      type: this.file.type || 'application/octet-stream',
      name: fileInfo.name ?? null,
      state: 'unverified',
      processing: 'none',
    }
  }

  #succeed(file: FileDescription): void {
    if (this.#state === 'cancelled' || this.#state === 'failed') return
    this.#forgetResumeRecord()
    this.#cleanUp()
    // Settled first: the file is stored, whatever a listener of the events below then does.
    this.#attempt?.resolve(file)
    const followsProcessing = this.options.followProcessing && Boolean(file.eventsUrl)
    this.#setState(followsProcessing ? 'processing' : 'done')
    if (this.state === 'cancelled') return // by a listener of that state
    this.emit('success', file)
    if (this.state === 'processing' && file.eventsUrl) this.#followProcessing(file.eventsUrl)
  }

  /**
   * The stored file's post-processing, as `processing` events and a final `processed`. A failure
   * to follow it (not of the processing itself) is reported as an `error` event; the upload has
   * succeeded by then, so `start()` has already resolved.
   */
  #followProcessing(eventsUrl: string): void {
    this.#afterUpload = new AbortController()
    const following = () => this.#state === 'processing' // not cancelled meanwhile
    followProcessing(eventsUrl, {
      headers: this.options.headers,
      signal: this.#afterUpload.signal,
      onEvent: (event) => {
        if (following()) this.emit('processing', event)
      },
    }).then(
      (manifest) => {
        if (!following()) return
        this.#setState('done')
        this.emit('processed', manifest)
      },
      (error: unknown) => {
        if (!following()) return
        this.#setState('done')
        this.emit('error', toFerryError(error))
      },
    )
  }

  #forgetResumeRecord(): void {
    if (this.#storageKey) void this.#storage?.removeUpload(this.#storageKey)
  }

  /** No byte acknowledged for `stallTimeout`: abort the hung request and resume from the offset. */
  #restartStalled(): void {
    if (!['uploading', 'retrying', 'verifying'].includes(this.#state)) return
    const stall = new FerryError(`no progress for ${this.options.stallTimeout} ms`, { code: 'stalled' })
    const attempt = ++this.#stallsInARow
    if (attempt > (this.options.retry.maxAttempts ?? defaultBackoffOptions.maxAttempts)) {
      this.#fail(new FerryError(`${stall.message}, ${attempt} times in a row`, { code: 'stalled' }))
      return
    }
    this.#stalled = true
    const tus = this.#tus
    const run = this.#run
    void tus?.abort(false).then(() => {
      // Paused, cancelled or failed meanwhile: the caller's word, not a restart.
      if (run !== this.#run || this.#tus !== tus) return
      this.emit('retry', { attempt, delay: 0, reason: 'stalled', cause: stall })
      this.#stalled = false
      this.#setState('paused')
      void this.start()
    })
  }

  /** `watched`: tus-js-client's request, which the stall watchdog restarts if it hangs. */
  #onRetry(event: RetryEvent, { watched = true } = {}): void {
    // A cancel's deletion is retried too, quietly: the upload stays cancelled.
    if (this.#state === 'cancelled') return
    this.#stalled = false
    this.#setState('retrying')
    // The retry's own request is watched too (a HEAD that never answers), after its delay.
    if (watched) this.#watchdog.touch(event.delay)
    this.emit('retry', event)
  }

  #onOffline(): void {
    if (this.#state !== 'uploading' && this.#state !== 'retrying') return
    this.#pausedForOffline = true
    void this.pause()
  }

  /**
   * Offline at start, or a request failed while offline (also while hashing or verifying, which
   * the browser's offline event does not pause): paused, with no retry attempt spent, until the
   * browser is back online (#onOnline).
   */
  #waitForNetwork(): void {
    if (['done', 'failed', 'cancelled', 'processing', 'paused'].includes(this.#state)) return
    this.#run++
    this.#pausedForOffline = true
    this.#watchdog.stop()
    this.#speed.reset()
    this.#setState('paused')
  }

  #onOnline(): void {
    if (!this.#pausedForOffline || this.#state !== 'paused' || !isOnline()) return
    this.#pausedForOffline = false
    void this.start()
  }

  #fail(error: FerryError): void {
    if (['done', 'failed', 'cancelled', 'processing'].includes(this.#state)) return
    this.#run++
    this.#abandonHashing()
    this.#cleanUp()
    void this.#tus?.abort(false)
    // Taken before the listeners run: one that calls start() again makes a new attempt.
    const attempt = this.#attempt
    this.#setState('failed')
    attempt?.reject(error)
    this.emit('error', error)
  }

  /** An unfinished hash is abandoned; a later start() hashes again from its last checkpoint. */
  #abandonHashing(): void {
    if (this.#digestSettled) return
    this.#hashAbort?.abort()
    this.#digest = undefined
  }

  /** Sending or about to: not paused, settled or cancelled. */
  #isSending(): boolean {
    return ['uploading', 'retrying', 'hashing', 'verifying'].includes(this.#state)
  }

  #cleanUp(): void {
    this.#unprepare?.()
    this.#unprepare = undefined
    this.#watchdog.stop()
    this.#stopWatchingConnectivity?.()
    this.#stopWatchingConnectivity = undefined
  }

  #setState(state: UploadState): void {
    if (this.#state === state) return
    this.#state = state
    this.emit('state', state)
  }
}

/** The parts a stored parallel upload was cut into, if the storage kept them. */
function partsOf(upload: object): PartBoundary[] | undefined {
  const parts = (upload as { parallelUploadBoundaries?: unknown }).parallelUploadBoundaries
  return Array.isArray(parts) ? (parts as PartBoundary[]) : undefined
}
