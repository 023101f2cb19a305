// Helpers of the webhook tests: a real receiver (node:http on 127.0.0.1) and a real disk store.
// Test-only, no vitest needed here.
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createDiskBackend } from '../storage/diskBackend.js'
import type { DocumentStore } from '../storage/types.js'

/** How the receiver answers one request: an HTTP status, a dropped connection, or no answer. */
export type ReceiverReply = number | 'destroy' | 'hang'

export interface ReceivedRequest {
  headers: IncomingHttpHeaders
  body: string
  at: number
}

export interface TestReceiver {
  url: string
  port: number
  requests: ReceivedRequest[]
  /** Stops listening and drops open connections, hanging ones included. */
  close(): Promise<void>
}

export interface TestReceiverOptions {
  /** Replies to the first requests, in order; later requests get 200. */
  replies?: ReceiverReply[]
  /** @default 0 (any free port) */
  port?: number
}

/** Starts a receiver that records every request and answers as `replies` says. */
export async function startTestReceiver(options: TestReceiverOptions = {}): Promise<TestReceiver> {
  const { replies = [], port = 0 } = options
  const requests: ReceivedRequest[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const reply = replies[requests.length] ?? 200
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({ headers: request.headers, body, at: Date.now() })
      if (reply === 'hang') return
      if (reply === 'destroy') request.socket.destroy()
      else response.writeHead(reply, reply === 302 ? { Location: '/elsewhere' } : {}).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const bound = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${bound}/hooks`,
    port: bound,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/**
 * A privileged port, outside the ephemeral range, that no service uses and fetch does not block
 * (its blocklist has 1, 42 and 43, not 47). A port that was merely free a moment ago can be taken
 * by a server another test starts meanwhile, which then holds the connection open instead of
 * refusing it.
 */
const REFUSING_PORT = 47

/** A URL whose connections are refused; checked, so a test never relies on it wrongly. */
export async function closedPortUrl(): Promise<{ url: string; port: number }> {
  const refused = await new Promise<boolean>((resolve) => {
    const socket = connect(REFUSING_PORT, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
  })
  if (!refused) throw new Error(`port ${REFUSING_PORT} on 127.0.0.1 does not refuse connections here; the tests need one that does`)
  return { url: `http://127.0.0.1:${REFUSING_PORT}/hooks`, port: REFUSING_PORT }
}

/** A disk DocumentStore in a fresh temporary directory, and a way to remove it. */
export async function createTemporaryDocuments(): Promise<{
  documents: DocumentStore
  remove(): Promise<void>
}> {
  const directory = await mkdtemp(path.join(tmpdir(), 'ferry-webhooks-'))
  return {
    documents: createDiskBackend({ directory }).documents,
    remove: () => rm(directory, { recursive: true, force: true }),
  }
}
