/**
 * CORS headers for the answers this server builds itself: downloads, final uploads' creations, and
 * tus errors raised before @tus/server sees the request. @tus/server answers CORS for the requests it handles but leaves
 * GET bare, and Hono's `cors()` cannot wrap those routes because HEAD (which Hono routes to GET
 * handlers) must keep the tus server's own `Access-Control-Expose-Headers`.
 */
export function corsHeaders(
  requestOrigin: string | undefined,
  allowedOrigins: string[] | '*',
  exposed: readonly string[],
): Record<string, string> {
  const expose = { 'Access-Control-Expose-Headers': exposed.join(', ') }
  if (allowedOrigins === '*') return { 'Access-Control-Allow-Origin': '*', ...expose }
  if (requestOrigin && allowedOrigins.includes(requestOrigin)) {
    return { 'Access-Control-Allow-Origin': requestOrigin, ...expose, Vary: 'Origin' }
  }
  return { Vary: 'Origin' }
}

export const DOWNLOAD_HEADERS = ['Content-Length', 'Content-Range', 'Content-Disposition', 'ETag', 'Repr-Digest']
export const TUS_ERROR_HEADERS = ['Tus-Resumable', 'Upload-Offset', 'Retry-After']
/** What a browser reads from a HEAD answer this server builds (a partial upload already joined). */
export const TUS_HEAD_HEADERS = ['Tus-Resumable', 'Upload-Offset', 'Upload-Length', 'Upload-Concat']
/** What a browser reads from the answer to a final upload's creation, which this server builds. */
export const FINAL_CREATION_HEADERS = ['Location', 'Tus-Resumable', 'Upload-Concat', 'Upload-Offset']
