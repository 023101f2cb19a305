import { randomBytes } from 'node:crypto'
import { Upload } from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256, sha256OfResponse } from '../helpers/files.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore, STORE_KINDS } from '../helpers/stores.js'

const MIB = 1024 * 1024

function uploadWithStockClient(endpoint: string, bytes: Buffer, chunkSize: number) {
  return new Promise<{ url: string; status: number }>((resolve, reject) => {
    const upload: Upload = new Upload(bytes, {
      endpoint,
      chunkSize,
      metadata: { filename: 'stock.bin', filetype: 'application/octet-stream' },
      onSuccess: ({ lastResponse }) => resolve({ url: upload.url ?? '', status: lastResponse.getStatus() }),
      onError: reject,
    })
    upload.start()
  })
}

describe.each(STORE_KINDS)('stock tus-js-client against the %s store', (kind) => {
  let server: ServerProcess
  beforeAll(async () => {
    server = await startServerProcess((await prepareStore(kind)).env)
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('uploads in chunks and downloads the same bytes from the upload URL', async () => {
    const bytes = randomBytes(13 * MIB + 7)
    const { url, status } = await uploadWithStockClient(`${server.url}/files/`, bytes, 5 * MIB)
    expect(status).toBe(200)
    const download = await fetch(url)
    expect(download.status).toBe(200)
    expect(await sha256OfResponse(download)).toBe(sha256(bytes))
  })

  it('uploads an empty file', async () => {
    const { url } = await uploadWithStockClient(`${server.url}/files/`, Buffer.alloc(0), 5 * MIB)
    const download = await fetch(url)
    expect(download.status).toBe(200)
    expect(download.headers.get('content-length')).toBe('0')
    expect(await sha256OfResponse(download)).toBe(sha256(Buffer.alloc(0)))
  })
})
