import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

const BUNDLE = fileURLToPath(new URL('../../packages/sdk/dist/ferry.umd.min.js', import.meta.url))

/** A fault to apply to the next matching request, then forget. */
export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; times: number }
  | { kind: 'stall'; times: number }
  | { kind: 'flip-byte'; times: number }
  | { kind: 'delay'; ms: number; times: number }
  /** The server gets and answers the request; the client's connection is cut inside the answer. */
  | { kind: 'lose-answer'; times: number }

export interface ProxiedRequest {
  method: string
  path: string
  offset: number | undefined
  /** The `Upload-Concat` header, for partial and final uploads. */
  concat: string | undefined
  status: number
  /** Whether it carried `Upload-Checksum`. */
  checksum: boolean
  fault?: Fault['kind']
}

export interface FaultProxy {
  url: string
  /** Every request that passed, with the status the client saw. */
  requests: ProxiedRequest[]
  /** Applies `fault` to the next PATCH requests (`times` of them). */
  injectOnPatch(fault: Fault): void
  /** Applies `fault` to the next creations of a final upload (`Upload-Concat: final;…`). */
  injectOnFinalCreation(fault: Fault): void
  /** Applies `fault` to the next creations that carry bytes (tus creation-with-upload). */
  injectOnCreationWithUpload(fault: Fault): void
  /** Applies `fault` to the next requests for which `match` is true (checked before the others). */
  injectWhen(match: (request: ProxiedRequest) => boolean, fault: Fault): void
  /** Slows every PATCH body to about this many bytes per second (0: full speed). */
  throttle(bytesPerSecond: number): void
  close(): Promise<void>
}

const TEST_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Ferry SDK test</title></head>
<body><input id="picker" type="file" multiple><script src="/ferry.umd.min.js"></script></body></html>`

/**
 * A real HTTP proxy in front of the real server that misbehaves on request: answers 503 or 429,
 * stalls a request forever, flips one byte of a request body, or throttles bodies. The browser and
 * the server both speak real HTTP through it, so the SDK meets these faults as it would in the
 * wild. It also serves a blank test page at `/test.html` and the SDK bundle it loads.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const targetUrl = new URL(target)
  const faults: Fault[] = []
  const finalFaults: Fault[] = []
  const creationFaults: Fault[] = []
  const matchedFaults: { match: (request: ProxiedRequest) => boolean; faults: Fault[] }[] = []
  const requests: ProxiedRequest[] = []
  let bytesPerSecond = 0
  const stalled = new Set<ServerResponse>()

  const server: Server = createServer((incoming, outgoing) => {
    const path = incoming.url ?? '/'
    if (path === '/test.html') {
      outgoing.writeHead(200, { 'Content-Type': 'text/html' }).end(TEST_PAGE)
      return
    }
    if (path === '/ferry.umd.min.js') {
      // Served here too, so the page works in front of a server that does not serve the SDK.
      readFile(BUNDLE).then(
        (bundle) => outgoing.writeHead(200, { 'Content-Type': 'text/javascript' }).end(bundle),
        () => outgoing.writeHead(404).end('build the SDK first: npm run build'),
      )
      return
    }
    const offsetHeader = incoming.headers['upload-offset']
    const record: ProxiedRequest = {
      method: incoming.method ?? 'GET',
      path,
      offset: offsetHeader === undefined ? undefined : Number(offsetHeader),
      concat: incoming.headers['upload-concat'] as string | undefined,
      status: 0,
      checksum: incoming.headers['upload-checksum'] !== undefined,
    }
    requests.push(record)
    const isCreation = incoming.method === 'POST'
    const isFinalCreation = isCreation && record.concat?.startsWith('final') === true
    const carriesBytes = isCreation && incoming.headers['content-type'] === 'application/offset+octet-stream'
    const matched = matchedFaults.find((entry) => entry.faults.length > 0 && entry.match(record))
    const fault = matched
      ? takeFault(matched.faults)
      : incoming.method === 'PATCH'
        ? takeFault(faults)
        : isFinalCreation
          ? takeFault(finalFaults)
          : carriesBytes
            ? takeFault(creationFaults)
            : undefined
    if (fault) record.fault = fault.kind
    if (fault?.kind === 'status') {
      incoming.resume()
      incoming.once('end', () => {
        record.status = fault.status
        outgoing
          .writeHead(fault.status, {
            'Tus-Resumable': '1.0.0',
            'Access-Control-Allow-Origin': '*',
            'Access-Control-Expose-Headers': 'Retry-After, Upload-Offset',
            ...fault.headers,
          })
          .end(`fault proxy: ${fault.status}`)
      })
      return
    }
    if (fault?.kind === 'stall') {
      // Take the body, never answer: what a dead NAT mapping or a hung middlebox looks like.
      incoming.resume()
      stalled.add(outgoing)
      return
    }
    forward(incoming, outgoing, record, fault)
  })

  function forward(incoming: IncomingMessage, outgoing: ServerResponse, record: ProxiedRequest, fault?: Fault) {
    const upstream = httpRequest(
      {
        hostname: targetUrl.hostname,
        port: targetUrl.port,
        path: incoming.url,
        method: incoming.method,
        headers: { ...incoming.headers, host: targetUrl.host },
      },
      (response) => {
        record.status = response.statusCode ?? 0
        if (fault?.kind === 'lose-answer') {
          // A connection lost on the way back: the server did the work, the client gets the start
          // of an answer and then nothing. (Cut before any byte of it, Chromium would send the
          // request again by itself, as it does when a reused connection closes unanswered, and
          // the client's own retry would not be what is tested.)
          response.resume()
          outgoing.writeHead(502, { 'Content-Length': '1000' })
          outgoing.write('cut')
          setTimeout(() => outgoing.destroy(), 50)
          return
        }
        const headers = { ...response.headers }
        // Rewrite absolute Location headers so the client keeps talking through the proxy.
        if (typeof headers.location === 'string') {
          headers.location = headers.location.replace(targetUrl.origin, `http://127.0.0.1:${port()}`)
        }
        outgoing.writeHead(response.statusCode ?? 502, headers)
        response.pipe(outgoing)
      },
    )
    upstream.on('error', () => outgoing.destroy())
    outgoing.on('close', () => upstream.destroy())
    let flipped = fault?.kind !== 'flip-byte'
    const delayMs = fault?.kind === 'delay' ? fault.ms : 0
    // Writes are chained so that the end of the body, which the stream may announce before the
    // last delayed chunk is written, always goes upstream after it.
    let written = Promise.resolve()
    const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    incoming.on('data', (chunk: Buffer) => {
      if (!flipped && chunk.length > 0) {
        chunk = Buffer.from(chunk)
        chunk[chunk.length >> 1]! ^= 0xff
        flipped = true
      }
      const pause = (bytesPerSecond > 0 ? (chunk.length / bytesPerSecond) * 1000 : 0) + delayMs
      if (pause === 0) {
        written = written.then(() => void upstream.write(chunk))
        return
      }
      incoming.pause()
      written = written.then(async () => {
        await later(pause)
        upstream.write(chunk)
        incoming.resume()
      })
    })
    incoming.on('end', () => {
      written = written.then(() => void upstream.end())
    })
    incoming.on('error', () => upstream.destroy())
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = () => (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port()}`,
    requests,
    injectOnPatch: (fault) => faults.push(fault),
    injectOnFinalCreation: (fault) => finalFaults.push(fault),
    injectOnCreationWithUpload: (fault) => creationFaults.push(fault),
    injectWhen: (match, fault) => matchedFaults.push({ match, faults: [fault] }),
    throttle: (rate) => {
      bytesPerSecond = rate
    },
    async close() {
      for (const response of stalled) response.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function takeFault(faults: Fault[]): Fault | undefined {
  const fault = faults[0]
  if (!fault) return undefined
  fault.times -= 1
  if (fault.times <= 0) faults.shift()
  return fault
}
