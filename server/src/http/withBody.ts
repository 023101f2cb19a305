/**
 * The same request (URL, method, headers, abort signal) carrying another body: how a stage that
 * watches or changes the bytes on their way to the store (hashing, checksums, caps) passes them on.
 */
export function withBody(request: Request, body: ReadableStream<Uint8Array>): Request {
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body,
    signal: request.signal,
    duplex: 'half',
  } as RequestInit)
}
