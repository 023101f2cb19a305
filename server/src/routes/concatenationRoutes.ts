import { DIGEST_HEADER, ERROR_CODES, FILE_DESCRIPTION_MEDIA_TYPE } from '@ferry/protocol'
import type { Context } from 'hono'
import type { Server } from '@tus/server'
import { Metadata, type Upload } from '@tus/utils'
import { OWNER_METADATA_KEY, TIER_METADATA_KEY } from '../auth/ownership.js'
import type { Principal } from '../auth/types.js'
import type { UploadPolicy } from '../tus/createUploadPolicy.js'
import { principalOf } from '../auth/principalOf.js'
import { FerryHttpError } from '../errors.js'
import type { createFinalizer } from '../integrity/createFinalizer.js'
import { CONCAT_METADATA_KEY, type Concatenation, parseFinalConcat } from '../tus/concatenation.js'
import { TUS_PATH } from '../tus/createTusServer.js'
import { claimCreation } from '../tus/creationClaims.js'
import { describeFile } from '../tus/describeFile.js'
import type { DownloadUrlSigner } from '../downloads/createDownloadUrlSigner.js'
import { signedFileUrl } from '../downloads/signedUrls.js'
import { carriesUpload, type CreateWithUpload } from './createWithUpload.js'

export interface ConcatenationRouteOptions {
  tus: Server
  policy: UploadPolicy
  concatenation: Concatenation
  finalize: ReturnType<typeof createFinalizer>
  /** Builds an error answer with the tus and CORS headers a browser needs to read it. */
  tusError: (error: FerryHttpError, origin: string | undefined) => Response
  /**
   * CORS headers for a final upload's creation, by the request's Origin: @tus/server adds them to
   * the answers it builds, and a browser on another origin cannot read one without them.
   */
  corsHeaders: (origin: string | undefined) => Record<string, string>
  /** Creates an upload whose creation request carries its first bytes. */
  createWithUpload: CreateWithUpload
  /** `Tus-Max-Size`, which a final upload's length may not pass either; 0 for none. */
  maxSize: number
  /** Signs the download URL in a final's description; none when left out. */
  downloadUrls?: DownloadUrlSigner
}


/**
 * The routes that give @tus/server the concatenation extension: creation of partial and final
 * uploads, 403 for a PATCH to a final upload, and `Upload-Concat` on HEAD answers.
 */
export function createConcatenationRoutes({
  tus,
  policy,
  concatenation,
  finalize,
  tusError,
  corsHeaders,
  createWithUpload,
  maxSize,
  downloadUrls,
}: ConcatenationRouteOptions) {
  const forward = async (c: Context, partial: boolean, principal: Principal) => {
    const request = c.req.raw
    const headers = new Headers(request.headers)
    headers.delete('upload-concat')
    const claims = { owner: principal.userId, tier: principal.tier, partial }
    // Refused before anything is created: tus would create the upload, then refuse its body.
    if (request.headers.get('upload-length') === '0' && Number(request.headers.get('content-length') ?? 0) > 0) {
      throw new FerryHttpError(413, ERROR_CODES.tooLarge, 'an upload declared empty (Upload-Length: 0) cannot carry bytes')
    }
    if (!carriesUpload(request)) {
      const creation = new Request(request.url, { method: request.method, headers, body: request.body, duplex: 'half' } as RequestInit)
      return tus.handleWeb(claimCreation(creation, claims))
    }
    return createWithUpload(c, headers, claims)
  }

  return {
    /** POST: a plain, partial or final upload creation. */
    async create(c: Context): Promise<Response> {
      const header = c.req.header('upload-concat')
      const principal = principalOf(c)
      const owner = principal.userId
      try {
        await policy.checkRate(owner)
        if (header === undefined || header.trim() === 'partial') return await forward(c, header !== undefined, principal)
        if (c.req.header('tus-resumable') !== '1.0.0') {
          throw new FerryHttpError(412, ERROR_CODES.concatInvalid, 'Tus-Resumable 1.0.0 is required')
        }
        const ids = parseFinalConcat(header, TUS_PATH)
        const metadata = parseMetadata(c.req.header('upload-metadata'))
        const digest = c.req.header(DIGEST_HEADER.toLowerCase()) ?? null
        // The final is the file: its declared type, name and length pass the policy as any
        // creation's do (its content is sniffed once assembled, see the finalizer's admit).
        const vet = (size: number) => {
          if (maxSize > 0 && size > maxSize) {
            throw new FerryHttpError(413, ERROR_CODES.tooLarge, `the final upload would be ${size} bytes, over this server's maximum of ${maxSize}`)
          }
          const { [OWNER_METADATA_KEY]: _owner, [CONCAT_METADATA_KEY]: _concat, [TIER_METADATA_KEY]: _tier, ...declared } = metadata
          const allowed = policy.metadataAtCreation({ size, metadata: declared }, principal.tier ?? null)
          return { ...allowed, ...(principal.tier ? { [TIER_METADATA_KEY]: principal.tier } : {}) }
        }
        // One creation of a final from these partials at a time, on every instance: a repeat
        // (its answer was lost, or the client gave up waiting) must find the first one's final
        // made, assembled and finished, never assemble or finish it a second time beside it.
        return await concatenation.exclusively(ids, async () => {
          const { final, assembled } = await concatenation.createFinal(ids, owner, vet, digest)
          const location = new URL(`${TUS_PATH}/${final.id}`, c.req.url).href
          const headers = {
            'Tus-Resumable': '1.0.0',
            Location: location,
            'Upload-Concat': `final;${ids.map((id) => `${TUS_PATH}/${id}`).join(' ')}`,
            ...corsHeaders(c.req.header('origin')),
          }
          if (!assembled) return c.body(null, 201, headers)
          const { record, processing } = await finalize(final, digest, c.req.raw)
          const eventsUrl = processing === 'none' ? undefined : new URL(`/api/files/${final.id}/events`, c.req.url).href
          return c.body(JSON.stringify(describeFile(record, {
            uploadUrl: location,
            processing,
            eventsUrl,
            download: signedFileUrl(downloadUrls, record, new URL(location).origin),
          })), 201, {
            ...headers,
            'Content-Type': FILE_DESCRIPTION_MEDIA_TYPE,
            'Upload-Offset': String(final.offset),
          })
        })
      } catch (error) {
        if (error instanceof FerryHttpError) return tusError(error, c.req.header('origin'))
        throw error
      }
    },
    /** The spec forbids PATCH to a final upload: its bytes come from the partials. */
    /** `upload` is the one the ownership check already read for this request. */
    refusePatchToFinal(id: string, upload: Upload | undefined): FerryHttpError | undefined {
      if (!upload?.metadata?.[CONCAT_METADATA_KEY]?.startsWith('final;')) return undefined
      return new FerryHttpError(403, ERROR_CODES.finalUploadPatch, `upload ${id} is a final upload; PATCH its partial uploads instead`)
    },
    /** `Upload-Concat` for a HEAD answer about a partial or final upload. */
    concatHeader(upload: Upload | undefined): string | undefined {
      const value = upload?.metadata?.[CONCAT_METADATA_KEY]
      if (!value) return undefined
      if (value === 'partial') return value
      return `final;${value.slice('final;'.length).split(' ').map((partId) => `${TUS_PATH}/${partId}`).join(' ')}`
    },
  }
}

/**
 * `Upload-Metadata` into an object by @tus/server's own rules (each value canonical base64, no key
 * twice), so a final upload's header passes exactly where an ordinary creation's would; else 400.
 */
function parseMetadata(header: string | undefined): Record<string, string | null> {
  // An empty header is no metadata, as @tus/server takes it.
  if (!header) return {}
  try {
    return Metadata.parse(header)
  } catch {
    throw new FerryHttpError(400, ERROR_CODES.invalidMetadata, `Upload-Metadata is malformed: "${header.slice(0, 200)}" (keys with base64 values, comma-separated, each key once)`)
  }
}

