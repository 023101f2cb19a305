import { createServer, type Server as HttpServer } from 'node:http'
import { mkdtemp } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { FileStore } from '@tus/file-store'
import { Server } from '@tus/server'

/** Stock @tus/server with @tus/file-store, as a user without Ferry's server would run it. */
export async function startStockTusServer(): Promise<{ url: string; close(): Promise<void> }> {
  const directory = await mkdtemp(path.join(tmpdir(), 'ferry-stock-tus-'))
  const tus = new Server({ path: '/files', datastore: new FileStore({ directory }) })
  const http: HttpServer = createServer((request, response) => void tus.handle(request, response))
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections()
        http.close(() => resolve())
      }),
  }
}
