import type { Server } from '@tus/server'
import type { Upload } from '@tus/utils'
import { withBody } from '../http/withBody.js'
import type { StreamingDigests } from '../integrity/createStreamingDigests.js'
import type { StorageBackend } from '../storage/types.js'
import { dropChunkVerdict } from './chunkVerdicts.js'
import { requestedChecksum } from './chunkChecksum.js'
import { CONCAT_METADATA_KEY } from './concatenation.js'
import type { UploadPolicy } from './createUploadPolicy.js'
import { peekHead } from './peekHead.js'
import { type StreamedChunkCheck, streamChunkChecksum } from './streamChunkChecksum.js'
import { refuseOversizeChunk, verifyChunkChecksum } from './verifyChunkChecksum.js'

export interface ChunkReceiverOptions {
  tus: Server
  backend: StorageBackend
  policy: UploadPolicy
  /** The uploads' SHA-256 as their bytes arrive; none when the server reads them again at the end. */
  digests?: StreamingDigests
  /** Largest chunk held in memory until its checksum is verified, where the store cannot cut one back out. */
  maxChunkBytes: number
}

/** A PATCH's body on its way to an upload. */
export interface IncomingChunk {
  id: string
  /** The PATCH, with `Upload-Offset` and the body. */
  request: Request
  /** The upload as the ownership check read it; `undefined` if there is none (tus answers 404). */
  upload: Upload | undefined
  /** The request's `Upload-Checksum` trailer, once its body has ended. */
  readTrailer: () => string | undefined
}

/**
 * Takes one chunk of an upload through Ferry's checks into @tus/server's PATCH handler: the
 * upload's SHA-256 continued as the bytes arrive, the first bytes sniffed against the declared
 * type, and the chunk's checksum (header or trailer) verified. Refusals are thrown as
 * FerryHttpError; @tus/server's own answers are returned. Used by PATCH and by a creation with
 * upload alike, so both pass the same checks.
 */
export function createChunkReceiver({ tus, backend, policy, digests, maxChunkBytes }: ChunkReceiverOptions) {
  // A chunk checked as it streams is never held in memory, so only a buffered one has a limit.
  const streamsChecksum = backend.discardsUnverifiedChunks === true
  const checksumOptions = { maxChunkBytes: streamsChecksum ? Number.POSITIVE_INFINITY : maxChunkBytes }

  /**
   * The first bytes must be what the upload declared; a lie deletes the upload (415). They are
   * judged on the chunk that completes them: chunks too short to judge are stored, and the next
   * chunk is judged together with what they left in the store. (Every upload's first bytes are
   * judged once more when it completes, see the policy's checkFinished: this check refuses early,
   * that one is the guarantee.)
   */
  async function checkFirstBytes(id: string, upload: Upload, request: Request): Promise<Request> {
    if (upload.metadata?.[CONCAT_METADATA_KEY] === 'partial') return request
    const declared = upload.size === undefined ? declaredLength(request.headers) : undefined
    const window = Math.min(policy.sniffBytes, upload.size ?? declared ?? policy.sniffBytes)
    if (upload.offset >= window) {
      // A deferred length declared at the bytes already stored completes the upload on chunks
      // that were too short to judge (with no window yet): they are judged now.
      if (declared !== undefined && window > 0) await judge(id, upload, await storedHead(id, window), request)
      return request
    }
    const peeked = await peekHead(request, window - upload.offset)
    // The content cannot be judged on fewer bytes than file-type reads; an empty file is judged
    // (and refused) whole.
    if (upload.offset + peeked.head.length < window && window > 0) return peeked.request
    const stored = await storedHead(id, upload.offset)
    await judge(id, upload, Buffer.concat([stored, peeked.head]), peeked.request)
    return peeked.request
  }

  /** The first `bytes` an unfinished upload holds; all of them, or the request fails (500). */
  async function storedHead(id: string, bytes: number): Promise<Uint8Array> {
    if (bytes === 0) return new Uint8Array(0)
    const head = await backend.readUnfinishedHead(id, bytes)
    if (head.length !== bytes) throw new Error(`ferry-server: read ${head.length} of the first ${bytes} bytes of upload "${id}"`)
    return head
  }

  /** Refuses content that is not what the upload declared: the request is dropped, the upload deleted. */
  async function judge(id: string, upload: Upload, head: Uint8Array, request: Request): Promise<void> {
    try {
      await policy.checkFirstBytes(head, upload)
    } catch (error) {
      await request.body?.cancel().catch(() => undefined)
      await backend.datastore.remove(id).catch(() => undefined)
      throw error
    }
  }

  /**
   * A deferred length passed creation unchecked: neither the length a PATCH declares nor the bytes
   * the upload reaches may pass the tier's maximum. (A chunked body shows its length only at the
   * end: capBody stops storing it at the maximum.)
   */
  function refuseOverLength(upload: Upload, headers: Headers, start: number): void {
    const declared = declaredLength(headers)
    if (declared !== undefined) policy.checkLength(upload, declared)
    const length = headers.get('content-length')
    if (length !== null && /^\d+$/.test(length) && Number.isSafeInteger(start)) policy.checkLength(upload, start + Number(length))
  }

  return async function receiveChunk({ id, request: incoming, upload, readTrailer }: IncomingChunk): Promise<Response> {
    // Refused before the body is touched, so the connection stays usable for the next request.
    const checksum = requestedChecksum({ headers: incoming.headers, readTrailer })
    if (checksum) refuseOversizeChunk(incoming, checksumOptions)
    const start = Number(incoming.headers.get('upload-offset'))
    let received = incoming
    let capped: CappedBody | undefined
    if (upload && upload.size === undefined) {
      refuseOverLength(upload, incoming.headers, start)
      capped = capBody(incoming, policy.maxLength(upload) - start)
      received = capped.request
    }
    // Hashed as the bytes arrive, before the checks below buffer or peek at them, so hashing
    // overlaps the network even when the chunk is held until its checksum is verified.
    // (Not for an upload that does not exist or is elsewhere: @tus/server answers 404 or 409.)
    const hashable = digests && upload?.offset === start
    const tracked = hashable ? await digests.track(received, id, start, upload?.size) : received
    let request = tracked
    let response: Response | undefined
    let streamed: StreamedChunkCheck | undefined
    try {
      if (policy.enabled && upload?.offset === start) {
        request = await checkFirstBytes(id, upload, request)
      }
      if (checksum && streamsChecksum) {
        streamed = streamChunkChecksum(request, checksum, id)
        request = streamed.request
      } else if (checksum) {
        request = await verifyChunkChecksum(request, checksum, checksumOptions)
      }
      digests?.adopt(tracked, request)
      response = await tus.handleWeb(request)
      // The store has cut the refused chunk back out; tus only saw its write fail.
      const refusal = streamed?.refusal()
      if (refusal) throw refusal
      // The bytes up to the tier's maximum were stored; the client learns the rest were not.
      if (upload && capped && capped.dropped() > 0) policy.checkLength(upload, policy.maxLength(upload) + capped.dropped())
      return response
    } finally {
      if (streamed) dropChunkVerdict(id, streamed)
      // Refused before tus (460, 415): nothing was stored, which settle learns from the store.
      digests?.adopt(tracked, request)
      await digests?.settle(request, response ?? new Response(null, { status: 500 }))
    }
  }
}

/** The length a PATCH declares for an upload created with a deferred length, if it does. */
function declaredLength(headers: Headers): number | undefined {
  const declared = headers.get('upload-length')
  return declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined
}

interface CappedBody {
  request: Request
  /** Bytes of the body past the cap, read and not passed on. */
  dropped(): number
}

/**
 * Passes on at most `limit` bytes of a body whose length is not known ahead (chunked), so a
 * deferred upload never stores more than its tier allows; the rest is read and dropped, so the
 * request still ends with an answer rather than a reset connection.
 */
function capBody(request: Request, limit: number): CappedBody {
  if (!request.body || !Number.isFinite(limit)) return { request, dropped: () => 0 }
  let passed = 0
  let dropped = 0
  const capping = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      const room = Math.max(0, limit - passed)
      if (room > 0) controller.enqueue(chunk.length <= room ? chunk : chunk.subarray(0, room))
      passed += Math.min(room, chunk.length)
      dropped += chunk.length - Math.min(room, chunk.length)
    },
  })
  return { request: withBody(request, request.body.pipeThrough(capping)), dropped: () => dropped }
}

export type ReceiveChunk = ReturnType<typeof createChunkReceiver>
