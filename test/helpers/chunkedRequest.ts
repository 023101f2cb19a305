import http from 'node:http'

export interface ChunkedRequest {
  method: string
  headers: Record<string, string>
  /** Written as chunks of a `Transfer-Encoding: chunked` body. */
  chunks: Uint8Array[]
  /** Sent after the last chunk; announce them in `headers.Trailer`. */
  trailers?: Record<string, string>
}

export interface ChunkedResponse {
  status: number
  headers: http.IncomingHttpHeaders
  text: string
}

/**
 * One request with a chunked body and trailers, which fetch cannot send: node:http writes the
 * trailers after the last chunk, as a tus client using the checksum-trailer extension does.
 */
export function chunkedRequest(url: string, request: ChunkedRequest): Promise<ChunkedResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, { method: request.method, headers: { ...request.headers, 'Transfer-Encoding': 'chunked' } }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (piece: string) => (text += piece))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }))
      response.on('error', reject)
    })
    outgoing.on('error', reject)
    for (const chunk of request.chunks) outgoing.write(chunk)
    if (request.trailers) outgoing.addTrailers(request.trailers)
    outgoing.end()
  })
}
