import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { fetchImage, noisyJpeg, uploadBytes, waitForManifest } from '../helpers/processing.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore, STORE_KINDS } from '../helpers/stores.js'
import { TUS } from '../helpers/tus.js'

describe.each(STORE_KINDS)('post-processing on the %s store (embedded queue)', (kind) => {
  let server: ServerProcess | undefined
  afterEach(async () => {
    await server?.stop()
  })

  it('derives thumbnails, a compressed copy and a WebP next to a verified JPEG', async () => {
    const store = await prepareStore(kind)
    server = await startServerProcess({ ...store.env, FERRY_THUMBNAIL_SIZES: '150,300,600' })
    const original = await noisyJpeg(1600, 1000, 100)
    const originalSha = createHash('sha256').update(original).digest('hex')
    const file = await uploadBytes(server.url, original, 'photo.jpg', 'image/jpeg')
    expect(file.body.processing).toBe('pending')
    expect(file.body.eventsUrl).toBe(`${server.url}/api/files/${file.id}/events`)

    const manifest = await waitForManifest(server.url, file.id)
    expect(manifest.state).toBe('done')
    expect(manifest.jobs.map((job) => [job.type, job.state]).sort()).toEqual([
      ['compress', 'done'],
      ['convert', 'done'],
      ['metadata', 'done'],
      ['thumbnails', 'done'],
    ])
    expect(manifest.jobs.find((job) => job.type === 'metadata')?.result).toMatchObject({
      width: 1600,
      height: 1000,
      format: 'jpeg',
    })

    const byName = new Map(manifest.outputs.map((output) => [output.name, output]))
    for (const size of [150, 300, 600]) {
      const output = byName.get(`thumb_${size}.jpg`)
      expect(output, `thumb_${size}`).toMatchObject({ width: size, height: size, type: 'image/jpeg' })
      const image = await fetchImage(output?.url ?? '')
      expect([image.format, image.width, image.height]).toEqual(['jpeg', size, size])
      expect(image.bytes.length).toBe(output?.size)
    }
    const compressed = byName.get('compressed.jpg')
    expect(compressed?.size).toBeLessThan(original.length)
    expect((await fetchImage(compressed?.url ?? '')).format).toBe('jpeg')
    const compressJob = manifest.jobs.find((job) => job.type === 'compress')
    expect(compressJob?.result?.compressionRatio).toBeGreaterThan(1)
    const webp = await fetchImage(byName.get('converted.webp')?.url ?? '')
    expect([webp.format, webp.width, webp.height]).toEqual(['webp', 1600, 1000])

    // The original is never modified.
    const download = Buffer.from(await (await fetch(file.url)).arrayBuffer())
    expect(createHash('sha256').update(download).digest('hex')).toBe(originalSha)
    // Outputs live in the same store as the original.
    const keys = await store.listAll()
    for (const output of manifest.outputs) expect(keys.some((key) => key.endsWith(output.key))).toBe(true)
  })

  it('deleted while its jobs run, a file leaves no output and no job record behind', async () => {
    const store = await prepareStore(kind)
    server = await startServerProcess({ ...store.env, FERRY_THUMBNAIL_SIZES: '150,300,600' })
    const before = await store.listAll()
    const file = await uploadBytes(server.url, await noisyJpeg(3000, 2000, 100), 'big.jpg', 'image/jpeg')
    const manifestState = async () =>
      ((await (await fetch(`${server?.url}/api/files/${file.id}`)).json()) as { processing?: string }).processing
    // Deleted once the jobs have started, before they have all stored their outputs.
    await expect.poll(manifestState, { timeout: 10_000, interval: 20 }).toBe('running')
    expect((await fetch(`${server.url}/api/files/${file.id}`, { method: 'DELETE' })).status).toBe(204)
    // Every job reads the original before the deletion and writes after it: wait for them.
    await new Promise((resolve) => setTimeout(resolve, 8000))
    const left = (await store.listAll()).filter((key) => !before.includes(key) && key.includes(file.id))
    expect(left).toEqual([])
  })

  it('streams job events over SSE until processing is done', async () => {
    server = await startServerProcess((await prepareStore(kind)).env)
    const file = await uploadBytes(server.url, await noisyJpeg(800, 600), 'sse.jpg', 'image/jpeg')
    const response = await fetch(file.body.eventsUrl ?? '')
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const text = await response.text() // the server ends the stream after processing-done
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((match) => match[1])
    expect(events[0]).toBe('snapshot')
    expect(events.at(-1)).toBe('processing-done')
    expect(events).toContain('job-completed')
    const last = JSON.parse([...text.matchAll(/^data: (.+)$/gm)].at(-1)?.[1] ?? '{}')
    expect(last.manifest.state).toBe('done')
  })

  it('fails a decompression bomb as a job with a reason, and stays up', async () => {
    server = await startServerProcess({ ...(await prepareStore(kind)).env, FERRY_MAX_INPUT_PIXELS: '1000000' })
    const bomb = await noisyJpeg(2000, 1000) // 2 megapixels over a 1 megapixel limit
    const file = await uploadBytes(server.url, bomb, 'bomb.jpg', 'image/jpeg')
    const manifest = await waitForManifest(server.url, file.id)
    expect(manifest.state).toBe('failed')
    const thumbnails = manifest.jobs.find((job) => job.type === 'thumbnails')
    expect(thumbnails).toMatchObject({ state: 'failed', attempts: 1 })
    expect(thumbnails?.error).toMatch(/pixels/)
    expect(manifest.outputs.filter((output) => output.job === 'thumbnails')).toEqual([])
    // Not retried: a step that refused its input would refuse it again (backoff is 1 s).
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const later = await waitForManifest(server.url, file.id)
    expect(later.jobs.find((job) => job.type === 'thumbnails')).toMatchObject({ state: 'failed', attempts: 1 })
    expect((await fetch(`${server.url}/healthz`)).ok).toBe(true)
  })

  it('fails a corrupt image with a reason and never triggers processing for a quarantined upload', async () => {
    server = await startServerProcess((await prepareStore(kind)).env)
    const truncated = (await noisyJpeg(600, 400)).subarray(0, 5000)
    const file = await uploadBytes(server.url, truncated, 'broken.jpg', 'image/jpeg')
    const manifest = await waitForManifest(server.url, file.id)
    expect(manifest.jobs.find((job) => job.type === 'thumbnails')).toMatchObject({ state: 'failed' })

    const bytes = await noisyJpeg(300, 200)
    const created = await fetch(`${server.url}/files/`, {
      method: 'POST',
      headers: { ...TUS, 'Upload-Length': String(bytes.length), 'Upload-Metadata': `filetype ${Buffer.from('image/jpeg').toString('base64')}` },
    })
    const url = new URL(created.headers.get('location') ?? '', server.url).href
    const wrong = `sha-256=:${createHash('sha256').update('other').digest('base64')}:`
    const response = await fetch(url, {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Repr-Digest': wrong },
      body: bytes,
    })
    expect(response.status).toBe(422)
    const id = url.split('/').at(-1)
    expect((await fetch(`${server.url}/api/files/${id}`)).status).toBe(404)
  })

  it('gives text a gzip variant served with Content-Encoding: gzip', async () => {
    server = await startServerProcess((await prepareStore(kind)).env)
    const text = Buffer.from(JSON.stringify({ rows: Array.from({ length: 2000 }, (_, index) => ({ index, name: `row ${index}` })) }))
    const file = await uploadBytes(server.url, text, 'data.json', 'application/json')
    const manifest = await waitForManifest(server.url, file.id)
    const variant = manifest.outputs.find((output) => output.job === 'gzip')
    expect(variant).toMatchObject({ encoding: 'gzip', type: 'application/json' })
    const response = await fetch(variant?.url ?? '')
    expect(response.headers.get('content-encoding')).toBe('gzip')
    expect(Buffer.from(await response.arrayBuffer()).equals(text)).toBe(true) // fetch decodes gzip
  })
})
