// The stock peers that bench/sdk-browser.mjs measures the Ferry server against. Each runs in its own
// process, as the Ferry server does, so no contender shares an event loop with Playwright:
//
//   node bench/lib/peerServer.mjs tus DIRECTORY   stock @tus/server + @tus/file-store at /files
//   node bench/lib/peerServer.mjs put DIRECTORY   PUT /NAME streamed to DIRECTORY/NAME, answered 201
//   node bench/lib/peerServer.mjs tus-s3 JSON     stock @tus/server + @tus/s3-store at /files, JSON being
//                                                 { partSize, s3ClientConfig: { bucket, endpoint, … } }
//
// Listens on a free port of 127.0.0.1 and prints the port as its first line. Both answer CORS: the
// bench page comes from another origin.
import { createWriteStream } from 'node:fs'
import { createServer } from 'node:http'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { FileStore } from '@tus/file-store'
import { S3Store } from '@tus/s3-store'
import { Server } from '@tus/server'

const [kind, directory] = process.argv.slice(2)
const KINDS = ['tus', 'put', 'tus-s3']

const putCors = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'PUT',
  'Access-Control-Allow-Headers': 'Content-Type',
  // The same preflight lifetime @tus/server announces, so every contender pays one per URL.
  'Access-Control-Max-Age': '86400',
}

function handlePut(request, response) {
  if (request.method === 'OPTIONS') return response.writeHead(204, putCors).end()
  if (request.method !== 'PUT') return response.writeHead(405, putCors).end()
  const name = path.basename(new URL(request.url, 'http://peer').pathname)
  pipeline(request, createWriteStream(path.join(directory, name))).then(
    () => response.writeHead(201, putCors).end(),
    (error) => response.writeHead(500, putCors).end(`peer: writing ${name} failed: ${error.message}`),
  )
}

function tusHandler(datastore) {
  // Repr-Digest allowed in CORS only so that the Ferry SDK (which sends it on its last PATCH) can
  // be measured against this server too (sdk-browser.mjs --phases); the server ignores it.
  const tus = new Server({ path: '/files', datastore, allowedHeaders: ['Repr-Digest'] })
  return tus.handle.bind(tus)
}

function s3Store(json) {
  const { partSize, s3ClientConfig } = JSON.parse(json)
  return new S3Store({ partSize, useTags: false, s3ClientConfig })
}

if (!directory || !KINDS.includes(kind)) {
  console.error('usage: node bench/lib/peerServer.mjs tus|put DIRECTORY, or tus-s3 JSON')
  process.exit(2)
}
const handlers = {
  tus: () => tusHandler(new FileStore({ directory })),
  'tus-s3': () => tusHandler(s3Store(directory)),
  put: () => handlePut,
}
const server = createServer(handlers[kind]())
server.requestTimeout = 0
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
process.once('SIGTERM', () => process.exit(0))
