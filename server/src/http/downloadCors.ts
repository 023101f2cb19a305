/**
 * CORS headers for downloads. @tus/server answers CORS for every tus request but leaves GET bare,
 * and Hono's `cors()` cannot wrap the same route because HEAD (which Hono routes to GET handlers)
 * must keep the tus server's own `Access-Control-Expose-Headers`.
 */
export function downloadCorsHeaders(
  requestOrigin: string | undefined,
  allowedOrigins: string[] | '*',
): Record<string, string> {
  const exposed = 'Content-Length, Content-Range, Content-Disposition, ETag, Repr-Digest'
  if (allowedOrigins === '*') {
    return { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': exposed }
  }
  if (requestOrigin && allowedOrigins.includes(requestOrigin)) {
    return {
      'Access-Control-Allow-Origin': requestOrigin,
      'Access-Control-Expose-Headers': exposed,
      Vary: 'Origin',
    }
  }
  return { Vary: 'Origin' }
}
