import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { inject, describe, expect, it } from 'vitest'
import { sha256, sha256OfResponse } from '../helpers/files.js'
import { createTestBucket, type TestBucket } from '../helpers/s3.js'
import { readMetric } from '../helpers/metrics.js'
import { startServerProcess } from '../helpers/serverProcess.js'
import { prepareStore, STORE_KINDS, type StoreKind } from '../helpers/stores.js'
import { createUpload, patch, reprDigest, TUS } from '../helpers/tus.js'

const MIB = 1024 * 1024
const CANONICAL =
  /^uploads\/anonymous\/(images|videos|documents|archives|others)\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f]+(\.(?!json$)[a-z0-9]+)?$/
/** A 1×1 PNG, padded with random bytes after IEND so that every upload is different. */
const pngBytes = () =>
  Buffer.concat([
    Buffer.from(
      '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f3a7a50000000049454e44ae426082',
      'hex',
    ),
    randomBytes(64 * 1024),
  ])

interface Store {
  kind: StoreKind
  env: Record<string, string>
  directory?: string
  bucket?: TestBucket
  listAll(): Promise<string[]>
  /** The bytes of one object (S3) or file below the data dir (disk), or undefined. */
  bytesAt(key: string): Promise<Buffer | undefined>
}

async function prepare(kind: StoreKind): Promise<Store> {
  if (kind === 's3') {
    const bucket = await createTestBucket(inject('s3'))
    return {
      kind,
      env: bucket.serverEnv,
      bucket,
      listAll: bucket.keys,
      async bytesAt(key) {
        try {
          const object = await bucket.client.getObject({ Bucket: bucket.name, Key: key })
          return Buffer.from((await object.Body?.transformToByteArray()) ?? [])
        } catch {
          return undefined
        }
      },
    }
  }
  const disk = await prepareStore('disk')
  const directory = disk.env.FERRY_DATA_DIR ?? ''
  return {
    ...disk,
    kind,
    directory,
    bytesAt: (key) => readFile(path.join(directory, key)).catch(() => undefined),
  }
}

async function upload(
  serverUrl: string,
  bytes: Uint8Array,
  metadata: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const url = await createUpload(`${serverUrl}/files/`, bytes.length, metadata)
  const response = await patch(url, 0, bytes, { ...reprDigest(bytes), ...headers })
  expect(response.status, await response.clone().text()).toBe(200)
  return {
    url,
    id: url.split('/').at(-1) ?? '',
    file: (await response.json()) as { key: string; state: string; type: string },
  }
}

/**
 * A real HTTP proxy in front of the S3 server that answers every server-side copy (a PUT with
 * `x-amz-copy-source`) 503 while `failCopies` is on, and passes everything else through with its
 * Host header, so SigV4 signatures still verify.
 */
async function startS3CopyFaults(target: string) {
  const upstream = new URL(target)
  const state = { failCopies: true, failed: 0 }
  const server = createServer((incoming, outgoing) => {
    if (state.failCopies && incoming.method === 'PUT' && incoming.headers['x-amz-copy-source']) {
      state.failed++
      incoming.resume()
      outgoing.writeHead(503, { 'Content-Type': 'application/xml' })
      outgoing.end('<Error><Code>ServiceUnavailable</Code><Message>injected by the test</Message></Error>')
      return
    }
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers)
        response.pipe(outgoing)
      },
    )
    forwarded.on('error', () => outgoing.destroy())
    incoming.pipe(forwarded)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe.each(STORE_KINDS)('promotion on the %s store', (kind) => {
  it('stores a finished upload under its canonical key with its sniffed type, cache policy and metadata', async () => {
    const store = await prepare(kind)
    const server = await startServerProcess({
      ...store.env,
      FERRY_PROCESSING: 'false',
      FERRY_RECORD_CLIENT_INFO: 'true',
      FERRY_TRUST_PROXY: 'true',
    })
    try {
      const png = pngBytes()
      // Declared a PDF: the bytes say PNG, and the bytes win.
      const image = await upload(
        server.url,
        png,
        { filename: 'résumé.pdf', filetype: 'application/pdf' },
        {
          'User-Agent': 'promotion-test/1.0',
          'X-Forwarded-For': '203.0.113.7',
        },
      )
      expect(image.file.key).toMatch(CANONICAL)
      expect(image.file.key).toMatch(new RegExp(`/images/\\d{4}/\\d{2}/\\d{2}/${image.id}\\.png$`))
      // The description says what the file is served as, not what was declared.
      expect(image.file.type).toBe('image/png')
      const described = await (await fetch(`${server.url}/api/files/${image.id}`)).json()
      expect(described.type).toBe('image/png')
      expect(sha256((await store.bytesAt(image.file.key)) ?? Buffer.alloc(0))).toBe(sha256(png))

      const download = await fetch(image.url)
      expect(download.headers.get('content-type')).toBe('image/png')
      expect(download.headers.get('cache-control')).toBe('private, max-age=31536000, immutable')
      expect(await sha256OfResponse(download)).toBe(sha256(png))
      const ranged = await fetch(image.url, { headers: { Range: 'bytes=100-4195' } })
      expect(ranged.status).toBe(206)
      expect(sha256(Buffer.from(await ranged.arrayBuffer()))).toBe(sha256(png.subarray(100, 4196)))
      // tus still knows the upload: HEAD answers its offset.
      const head = await fetch(image.url, { method: 'HEAD', headers: TUS })
      expect([head.status, head.headers.get('upload-offset')]).toEqual([200, String(png.length)])

      const csv = Buffer.from('name,size\nferry,1\n'.repeat(100))
      const table = await upload(server.url, csv, { filename: 'table.csv', filetype: 'text/csv' })
      expect(table.file.key).toMatch(
        new RegExp(`^uploads/anonymous/documents/.*/${table.id}\\.csv$`),
      )
      const tableDownload = await fetch(table.url)
      expect(tableDownload.headers.get('content-type')).toBe('text/csv')
      expect(tableDownload.headers.get('cache-control')).toBe('private, max-age=3600')

      const expected = {
        'original-name': 'résumé.pdf',
        uploader: 'anonymous',
        sha256: sha256(png),
        'upload-id': image.id,
        'user-agent': 'promotion-test/1.0',
        'client-ip': '203.0.113.7',
      }
      if (store.bucket) {
        const { client, name } = store.bucket
        const object = await client.headObject({ Bucket: name, Key: image.file.key })
        expect(object.ContentType).toBe('image/png')
        expect(object.CacheControl).toBe('max-age=31536000, immutable')
        expect(object.ContentLength).toBe(png.length)
        const metadata = Object.fromEntries(
          Object.entries(object.Metadata ?? {}).map(([key, value]) => [
            key,
            decodeURIComponent(value),
          ]),
        )
        expect(metadata).toEqual(expected)
        // The tus object went once the copy was in place; its info keeps HEAD working.
        const keys = await store.listAll()
        expect(keys).not.toContain(image.id)
        expect(keys).toContain(`${image.id}.info`)
      } else {
        const directory = store.directory ?? ''
        const [tusFile, canonical] = await Promise.all([
          stat(path.join(directory, 'uploads', image.id)),
          stat(path.join(directory, image.file.key)),
        ])
        expect(canonical.ino).toBe(tusFile.ino) // a hard link, no copy
        const sidecar = JSON.parse(
          await readFile(path.join(directory, `${image.file.key}.json`), 'utf8'),
        )
        // The sidecar sits in the tus store's tree: an id with an encoded `/` must not read it.
        const sneaky = `${server.url}/files/${encodeURIComponent(image.file.key.slice('uploads/'.length))}`
        expect((await fetch(sneaky)).status).toBe(404)
        expect(sidecar).toMatchObject({
          contentType: 'image/png',
          cacheControl: 'max-age=31536000, immutable',
          userMetadata: expected,
        })
      }
    } finally {
      await server.stop()
    }
  })

  it('never promotes a quarantined upload, and deletion removes the promoted file', async () => {
    const store = await prepare(kind)
    const server = await startServerProcess({ ...store.env, FERRY_PROCESSING: 'false' })
    try {
      const before = await store.listAll()
      const bytes = randomBytes(6 * MIB + 5)
      const finished = await upload(server.url, bytes, {
        filename: 'data.bin',
        filetype: 'application/octet-stream',
      })
      expect(finished.file.key).toMatch(new RegExp(`^uploads/anonymous/others/.*/${finished.id}$`))

      const lie = randomBytes(1000)
      const quarantined = await createUpload(`${server.url}/files/`, lie.length)
      expect((await patch(quarantined, 0, lie, reprDigest(randomBytes(1000)))).status).toBe(422)
      expect((await store.listAll()).filter((key) => CANONICAL.test(key))).toEqual([
        finished.file.key,
      ])

      for (const url of [finished.url, quarantined]) {
        expect((await fetch(url, { method: 'DELETE', headers: TUS })).status).toBe(204)
      }
      expect(await store.listAll()).toEqual(before)
      if (store.directory) expect(await readdir(path.join(store.directory, 'uploads'))).toEqual([])
    } finally {
      await server.stop()
    }
  })

  it(
    'answers a second finish with the same key, promoting nothing twice',
    async () => {
      const store = await prepare(kind)
      const server = await startServerProcess({ ...store.env, FERRY_PROCESSING: 'false' })
      try {
        const bytes = randomBytes(100_000)
        const finished = await upload(server.url, bytes, {
          filename: 'data.bin',
          filetype: 'application/octet-stream',
        })
        const again = await patch(finished.url, bytes.length, new Uint8Array(0), reprDigest(bytes))
        expect(again.status).toBe(200)
        expect((await again.json()).key).toBe(finished.file.key)
        expect((await store.listAll()).filter((key) => CANONICAL.test(key))).toEqual([
          finished.file.key,
        ])
        expect(await sha256OfResponse(await fetch(finished.url))).toBe(sha256(bytes))
      } finally {
        await server.stop()
      }
    },
  )
})

describe.runIf(STORE_KINDS.includes('disk'))('promotion on the disk store', () => {
  it('answers 503 promotion-failed, keeps the upload, and promotes on the next finish', async () => {
    const store = await prepare('disk')
    const directory = store.directory ?? ''
    const server = await startServerProcess({ ...store.env, FERRY_PROCESSING: 'false' })
    try {
      // A file where the user's "others" folder belongs: the link cannot be made.
      await mkdir(path.join(directory, 'uploads', 'anonymous'), { recursive: true })
      await writeFile(path.join(directory, 'uploads', 'anonymous', 'others'), 'in the way')
      const bytes = randomBytes(100_000)
      const url = await createUpload(`${server.url}/files/`, bytes.length)
      const failed = await patch(url, 0, bytes, reprDigest(bytes))
      expect(failed.status).toBe(503)
      // Clients are told when to finish again (the SDK waits as long as Retry-After asks).
      expect(Number(failed.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(await readMetric(server.url, 'ferry_promotion_duration_seconds_count{result="failed"}')).toBe(1)
      expect((await failed.json()).error).toMatchObject({
        code: 'promotion-failed',
        message: expect.stringMatching(/finish it again/),
      })
      // Nothing is lost: the bytes are there and served.
      expect(await sha256OfResponse(await fetch(url))).toBe(sha256(bytes))

      await rm(path.join(directory, 'uploads', 'anonymous', 'others'))
      const retried = await patch(url, bytes.length, new Uint8Array(0), reprDigest(bytes))
      expect(retried.status).toBe(200)
      const { key } = (await retried.json()) as { key: string }
      expect(key).toMatch(CANONICAL)
      expect(await readMetric(server.url, 'ferry_promotion_duration_seconds_count{result="promoted"}')).toBe(1)
      expect(sha256((await store.bytesAt(key)) ?? Buffer.alloc(0))).toBe(sha256(bytes))
      const files = (await (await fetch(`${server.url}/api/files`)).json()) as {
        files: { key: string }[]
      }
      expect(files.files.map((file) => file.key)).toEqual([key])
      // Accepted once: metrics (and post-finish hooks) hear of the file on the finish that promoted
      // it, and not again on a later one.
      expect(await readMetric(server.url, 'ferry_uploads_completed_total{state="verified"}')).toBe(1)
      expect((await patch(url, bytes.length, new Uint8Array(0), reprDigest(bytes))).status).toBe(200)
      expect(await readMetric(server.url, 'ferry_uploads_completed_total{state="verified"}')).toBe(1)
    } finally {
      await server.stop()
    }
  })

  it('keeps an encrypted store encrypted: the promoted file is the upload ciphertext, Range still works', async () => {
    const store = await prepare('disk')
    const server = await startServerProcess({
      ...store.env,
      FERRY_PROCESSING: 'false',
      FERRY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    })
    try {
      const png = pngBytes()
      const { url, id, file } = await upload(server.url, png, {
        filename: 'secret.png',
        filetype: 'image/png',
      })
      expect(file.key).toMatch(/\/images\/.*\.png$/)
      const onDisk = (await store.bytesAt(file.key)) ?? Buffer.alloc(0)
      expect(onDisk.subarray(0, 8).toString()).toBe('FERRYENC')
      expect(onDisk.includes(png.subarray(1000, 1064))).toBe(false)
      const [tusFile, canonical] = await Promise.all([
        stat(path.join(store.directory ?? '', 'uploads', id)),
        stat(path.join(store.directory ?? '', file.key)),
      ])
      expect(canonical.ino).toBe(tusFile.ino)
      expect(await sha256OfResponse(await fetch(url))).toBe(sha256(png))
      const ranged = await fetch(url, { headers: { Range: 'bytes=65530-65599' } })
      expect(Buffer.from(await ranged.arrayBuffer())).toEqual(png.subarray(65530, 65600))
    } finally {
      await server.stop()
    }
  })
})

describe.runIf(STORE_KINDS.includes('s3'))('promotion on the S3 store', () => {
  it('answers 503 when the copy fails, keeps serving the tus object, and promotes on the next finish', async () => {
    const store = await prepare('s3')
    const faults = await startS3CopyFaults(store.env.FERRY_S3_ENDPOINT ?? '')
    const server = await startServerProcess({
      ...store.env,
      FERRY_S3_ENDPOINT: faults.url,
      FERRY_PROCESSING: 'false',
    })
    try {
      const bytes = randomBytes(300_000)
      const url = await createUpload(`${server.url}/files/`, bytes.length)
      const id = url.split('/').at(-1) ?? ''
      const failed = await patch(url, 0, bytes, reprDigest(bytes))
      expect(failed.status).toBe(503)
      expect((await failed.json()).error.code).toBe('promotion-failed')
      expect(faults.state.failed).toBeGreaterThan(0)
      expect(await store.listAll()).toContain(id)
      expect(await sha256OfResponse(await fetch(url))).toBe(sha256(bytes))

      faults.state.failCopies = false
      const retried = await patch(url, bytes.length, new Uint8Array(0), reprDigest(bytes))
      expect(retried.status).toBe(200)
      const { key } = (await retried.json()) as { key: string }
      expect(key).toMatch(CANONICAL)
      expect(sha256((await store.bytesAt(key)) ?? Buffer.alloc(0))).toBe(sha256(bytes))
      expect(await store.listAll()).not.toContain(id)
      expect(await sha256OfResponse(await fetch(url))).toBe(sha256(bytes))
    } finally {
      await server.stop()
      await faults.close()
    }
  })

  it('copies part by part (UploadPartCopy) above the threshold', async () => {
    const store = await prepare('s3')
    const server = await startServerProcess({
      ...store.env,
      FERRY_PROCESSING: 'false',
      FERRY_S3_COPY_THRESHOLD: String(5 * MIB),
      FERRY_S3_COPY_PART_SIZE: String(5 * MIB),
    })
    try {
      const bytes = randomBytes(11 * MIB + 7)
      const { url, file } = await upload(server.url, bytes, {
        filename: 'big.bin',
        filetype: 'application/octet-stream',
      })
      const { client, name } = store.bucket as TestBucket
      const object = await client.headObject({ Bucket: name, Key: file.key })
      expect(object.ETag).toMatch(/-3"$/) // three parts: 5 MiB, 5 MiB, 1 MiB + 7
      expect(object.ContentLength).toBe(bytes.length)
      expect(object.CacheControl).toBe('max-age=3600')
      expect(sha256((await store.bytesAt(file.key)) ?? Buffer.alloc(0))).toBe(sha256(bytes))
      expect(await sha256OfResponse(await fetch(url))).toBe(
        createHash('sha256').update(bytes).digest('hex'),
      )
      expect(await store.listAll()).not.toContain(url.split('/').at(-1))
    } finally {
      await server.stop()
    }
  })

  it('refuses at start-up the encryption Swift does not have, and drops the storage class it refuses', async () => {
    const store = await prepare('s3')
    await expect(startServerProcess({ ...store.env, FERRY_SSE: 'AES256' })).rejects.toThrow(
      /FERRY_SSE=AES256: the S3 endpoint refused server-side encryption \(NotImplemented/,
    )

    const server = await startServerProcess({
      ...store.env,
      FERRY_PROCESSING: 'false',
      FERRY_STORAGE_CLASS: 'STANDARD_IA',
      FERRY_STORAGE_CLASS_IMAGES: 'STANDARD',
      FERRY_ACL: 'public-read',
    })
    try {
      expect(server.output()).toContain('the S3 endpoint refuses storage class STANDARD_IA')
      expect(server.output()).not.toContain('refuses the canned ACL')
      const bytes = randomBytes(1000)
      const { file } = await upload(server.url, bytes, {
        filename: 'x.bin',
        filetype: 'application/octet-stream',
      })
      expect(sha256((await store.bytesAt(file.key)) ?? Buffer.alloc(0))).toBe(sha256(bytes))
      const image = await upload(server.url, pngBytes(), {
        filename: 'x.png',
        filetype: 'image/png',
      })
      expect(image.file.key).toMatch(/\/images\//)
      // No probe is left behind.
      expect(
        (await store.listAll()).filter((key) => key.startsWith('ferry/promotion-probe/')),
      ).toEqual([])
    } finally {
      await server.stop()
    }
  })
})
