import type { Server } from '@tus/server'
import type { Context } from 'hono'
import { trailerReader } from '../http/incomingMessage.js'
import type { StorageBackend } from '../storage/types.js'
import { claimCreation, type CreationClaims } from '../tus/creationClaims.js'
import type { ReceiveChunk } from '../tus/receiveChunk.js'

export interface CreateWithUploadOptions {
  tus: Server
  backend: StorageBackend
  /** Takes the body through the same checks as a PATCH's. */
  receiveChunk: ReceiveChunk
  /** Removes an upload and everything derived from it (as a termination does). */
  discard: (id: string) => Promise<void>
}

/** Headers that describe the creation's body; the creation itself goes to tus without them. */
const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding', 'trailer', 'upload-checksum']
/** Headers that describe the upload being created; the PATCH of its body goes without them. */
const CREATION_HEADERS = ['upload-length', 'upload-defer-length', 'upload-metadata', 'upload-concat']

/**
 * A creation with upload (the tus creation-with-upload extension) as a creation, then a PATCH of
 * its body at offset 0, so the body passes every check a PATCH's does (the sniffed type, the
 * chunk checksum, the running SHA-256) where @tus/server would write it to the store unchecked.
 * Accepted, it answers 201 with `Location` and the PATCH's offset, expiry and (once complete) the
 * file's description. Refused, it answers the PATCH's error without a `Location`, so nobody could
 * continue the upload: it is removed rather than left to expire.
 */
export function createCreationWithUpload({ tus, backend, receiveChunk, discard }: CreateWithUploadOptions) {
  /** One that completed stays with its verdict: a digest mismatch is quarantined, not erased. */
  const discardUnfinished = async (id: string) => {
    const upload = await backend.datastore.getUpload(id).catch(() => undefined)
    if (upload && upload.offset !== upload.size) await discard(id)
  }

  /** `creationHeaders`: the request's, as tus must see them for the creation. */
  return async function createWithUpload(c: Context, creationHeaders: Headers, claims: CreationClaims): Promise<Response> {
    const request = c.req.raw
    const headers = new Headers(creationHeaders)
    for (const name of BODY_HEADERS) headers.delete(name)
    const created = await tus.handleWeb(claimCreation(new Request(request.url, { method: 'POST', headers }), claims))
    const location = created.headers.get('location')
    if (created.status !== 201 || !location) return created
    const id = new URL(location).pathname.split('/').pop() ?? ''
    const upload = await backend.datastore.getUpload(id)
    const patchHeaders = new Headers(request.headers)
    for (const name of CREATION_HEADERS) patchHeaders.delete(name)
    patchHeaders.set('upload-offset', '0')
    const patch = new Request(location, {
      method: 'PATCH',
      headers: patchHeaders,
      body: request.body,
      signal: request.signal,
      duplex: 'half',
    } as RequestInit)
    let stored: Response
    try {
      stored = await receiveChunk({ id, request: patch, upload, readTrailer: trailerReader(c.env, 'upload-checksum') })
    } catch (error) {
      await discardUnfinished(id)
      throw error
    }
    if (!stored.ok) {
      await discardUnfinished(id)
      return stored
    }
    const answer = new Headers(stored.headers)
    answer.set('Location', location)
    return new Response(stored.body, { status: 201, headers: answer })
  }
}

export type CreateWithUpload = ReturnType<typeof createCreationWithUpload>

/** A creation with upload: its body is tus bytes (a zero-length upload completes at creation). */
export function carriesUpload(request: Request): boolean {
  return request.headers.get('content-type') === 'application/offset+octet-stream' && request.headers.get('upload-length') !== '0'
}
