// The bench page and the browser builds it loads, served from their own origin on loopback; the
// servers under test answer CORS.
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const scripts = {
  '/ferry.umd.min.js': 'packages/sdk/dist/ferry.umd.min.js',
  '/tus.min.js': 'node_modules/tus-js-client/dist/tus.min.js',
  '/hash-wasm-sha256.umd.min.js': 'node_modules/hash-wasm/dist/sha256.umd.min.js',
}
const page = `<!doctype html>
<meta charset="utf-8">
<title>Ferry SDK browser bench</title>
<input type="file" id="picker">
${Object.keys(scripts).map((script) => `<script src="${script}"></script>`).join('\n')}`

/** Serves `/` (an `<input type=file id=picker>` and the scripts: globals `Ferry`, `tus`, `hashwasm`). */
export async function startPageServer() {
  const server = createServer(async (request, response) => {
    const pathname = new URL(request.url, 'http://page').pathname
    if (pathname === '/') return response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page)
    if (!scripts[pathname]) return response.writeHead(404).end()
    const body = await readFile(path.join(root, scripts[pathname]))
    response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' }).end(body)
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}
