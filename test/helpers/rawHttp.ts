import { connect } from 'node:net'

export interface RawRequest {
  method: string
  /** Path and query, e.g. `/files/abc`. */
  path: string
  /** Header lines exactly as sent, repeats included (fetch would join them into one line). */
  headers: [string, string][]
  body?: Uint8Array | string
}

export interface RawResponse {
  status: number
  /** Header names in lowercase; a repeated header keeps its last value. */
  headers: Record<string, string>
  body: string
}

/**
 * One HTTP/1.1 request written byte for byte over a socket, for what fetch cannot send: repeated
 * headers. Sends `Connection: close` and reads the answer until the server closes.
 */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl)
  const body = typeof request.body === 'string' ? Buffer.from(request.body) : Buffer.from(request.body ?? [])
  const lines = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    'Connection: close',
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
  ]
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect(Number(port), hostname, () => {
      // Not end(): a half-closed socket makes Node's server drop the request.
      socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]))
    })
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks).toString('latin1')))
      } catch (error) {
        reject(error)
      }
    })
  })
}

function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n')
  if (end < 0) throw new Error(`no complete HTTP response: ${JSON.stringify(text.slice(0, 200))}`)
  const [statusLine = '', ...headerLines] = text.slice(0, end).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const rest = text.slice(end + 4)
  const body = headers['transfer-encoding'] === 'chunked' ? unchunk(rest) : rest
  return { status: Number(statusLine.split(' ')[1]), headers, body }
}

function unchunk(text: string): string {
  let body = ''
  for (let at = 0; ; ) {
    const lineEnd = text.indexOf('\r\n', at)
    const size = Number.parseInt(text.slice(at, lineEnd), 16)
    if (!(size > 0)) return body
    body += text.slice(lineEnd + 2, lineEnd + 2 + size)
    at = lineEnd + 2 + size + 2
  }
}
