import { ERROR_CODES, DIGEST_HEADER, formatSha256Digest } from '@ferry/protocol'
import type { Context } from 'hono'
import { FerryHttpError } from '../errors.js'
import { matchesIfNoneMatch, rangeApplies } from '../http/conditionalRequests.js'
import { contentHeaders } from '../http/contentHeaders.js'
import { parseRange } from '../http/parseRange.js'
import { toWebStream } from '../http/toWebStream.js'
import { quarantinedError, rejectedError, type createFinalizer } from '../integrity/createFinalizer.js'
import type { StorageBackend } from '../storage/types.js'
import { CONCAT_METADATA_KEY } from '../tus/concatenation.js'

export interface DownloadRouteOptions {
  backend: StorageBackend
  finalize: ReturnType<typeof createFinalizer>
}

/**
 * `GET /files/:id`: the bytes of a finished upload, with Range and ETag (and `HEAD` for a signed
 * URL: the same headers without the bytes). Incomplete uploads are 404
 * (as in @tus/server), quarantined and rejected ones 410. A complete upload that was never
 * finalized (the server died between the last byte and the verdict) is finalized here, as
 * unverified.
 * The bytes come from the record's key: the promoted object, served with the Content-Type and
 * Cache-Control it was stored with (kept `private`: this route answers only the file's owner, or
 * a URL the server signed for the owner).
 */
export function createDownloadRoute({ backend, finalize }: DownloadRouteOptions) {
  return async (c: Context): Promise<Response> => {
    const id = c.req.param('id') ?? ''
    const upload = await backend.datastore.getUpload(id).catch(async () => {
      // A file refused when it completed keeps its record and loses its bytes: 410 with the
      // reason, as HEAD answers, rather than a bare 404.
      const record = await backend.records.get(id).catch(() => undefined)
      if (record?.state === 'rejected') throw rejectedError(record)
      if (record?.state === 'quarantined') throw quarantinedError(id)
      throw new FerryHttpError(404, ERROR_CODES.notFound, `no upload with id "${id}"`)
    })
    if (upload.metadata?.[CONCAT_METADATA_KEY] === 'partial') {
      throw new FerryHttpError(404, ERROR_CODES.incomplete, `upload ${id} is a partial upload, not a file`)
    }
    if (upload.size === undefined || upload.offset !== upload.size) {
      throw new FerryHttpError(
        404,
        ERROR_CODES.incomplete,
        `upload ${id} is not complete (${upload.offset} of ${upload.size ?? 'unknown'} bytes)`,
      )
    }
    const record = (await backend.records.get(id)) ?? (await finalize(upload, null)).record
    if (record.state === 'quarantined') throw quarantinedError(id)
    if (record.state === 'rejected') throw rejectedError(record)

    const etag = `"sha256-${record.sha256}"`
    const headers: Record<string, string> = {
      ...contentHeaders(record.promoted?.contentType ?? record.type, record.name),
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Cache-Control': record.promoted
        ? privateCacheControl(record.promoted.cacheControl)
        : 'private, no-cache',
    }
    if (matchesIfNoneMatch(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers)

    const range = rangeApplies(c.req.header('if-range'), etag) ? parseRange(c.req.header('range'), record.size) : undefined
    if (range === 'unsatisfiable') {
      return c.body(null, 416, { ...headers, 'Content-Range': `bytes */${record.size}` })
    }
    // HEAD (of a signed URL: the owner's HEAD is the tus one) answers the GET's headers, unread.
    const body = async () => (c.req.method === 'HEAD' ? null : toWebStream(await backend.objects.read(record.key, range)))
    if (range) {
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${record.size}`
      headers['Content-Length'] = String(range.end - range.start + 1)
      return new Response(await body(), { status: 206, headers })
    }
    headers['Content-Length'] = String(record.size)
    headers[DIGEST_HEADER] = formatSha256Digest(Buffer.from(record.sha256, 'hex'))
    return new Response(await body(), { status: 200, headers })
  }
}

/** A shared cache must not keep one user's file for another: `private` unless the policy said. */
function privateCacheControl(cacheControl: string): string {
  return /(^|,)\s*(public|private)\b/i.test(cacheControl) ? cacheControl : `private, ${cacheControl}`
}
