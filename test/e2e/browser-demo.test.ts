import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/browser.js'
import { generateFile, sha256OfResponse } from '../helpers/files.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'
import { noisyJpeg } from '../helpers/processing.js'
import { writeFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

const MIB = 1024 * 1024

describe('the demo page in Chromium', () => {
  let server: ServerProcess
  let browser: BrowserContext
  let page: Page

  beforeAll(async () => {
    server = await startServerProcess((await prepareStore('disk')).env)
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('uploads a 20 MiB file through the UMD bundle with progress to 100 % and the same SHA-256', async () => {
    const file = await generateFile(20 * MIB, 'twenty.bin')
    page = await browser.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(server.url)
    expect(await page.evaluate(() => typeof (window as unknown as { Ferry?: unknown }).Ferry)).toBe('object')

    await page.setInputFiles('#file', file.path)
    await page.locator('#result').waitFor({ state: 'visible', timeout: 60_000 })

    expect(await page.locator('#upload-progress').evaluate((element) => (element as HTMLProgressElement).value)).toBe(100)
    expect(await page.locator('#hash-progress').evaluate((element) => (element as HTMLProgressElement).value)).toBe(100)
    expect(await page.locator('#state').textContent()).toBe('done')
    const stored = JSON.parse((await page.locator('#result').textContent()) ?? '{}')
    expect(stored).toMatchObject({ size: file.size, sha256: file.sha256, state: 'verified', name: 'twenty.bin' })

    const download = await fetch(stored.url)
    expect(await sha256OfResponse(download)).toBe(file.sha256)
    expect(pageErrors).toEqual([])
  })

  /** Uploads 300,000 bytes with a hasher that lies, which stands in for bytes corrupted between the hash and the wire. */
  async function uploadWithLyingHasher(chunkSize: number) {
    page = await browser.newPage()
    await page.goto(server.url)
    return page.evaluate(async (chunkSize) => {
      const { FerryUpload, FerryError } = (window as unknown as { Ferry: typeof import('@ferry/sdk') }).Ferry
      const blob = new Blob([new Uint8Array(300_000).fill(7)], { type: 'application/octet-stream' })
      const lyingHasher = { digest: async () => new Uint8Array(32) }
      const upload = new FerryUpload(blob, { endpoint: '/files/', hasher: lyingHasher, chunkSize })
      try {
        await upload.start()
        return { resolved: true }
      } catch (error) {
        const ferryError = error as InstanceType<typeof FerryError>
        return {
          isFerryError: error instanceof FerryError,
          code: ferryError.code,
          status: ferryError.status,
          state: upload.state,
          url: upload.url,
        }
      }
    }, chunkSize)
  }

  it('rejects with a typed FerryError when the digest does not match the stored bytes', async () => {
    // In chunks, so the upload has a URL before its last PATCH is refused.
    const outcome = await uploadWithLyingHasher(128 * 1024)
    expect(outcome).toMatchObject({ isFerryError: true, code: 'digest-mismatch', status: 422, state: 'failed' })
    const download = await fetch(new URL((outcome as { url: string }).url, server.url))
    expect(download.status).toBe(410)
  })

  it('rejects a file sent whole in its creation the same way, and lists nothing new', async () => {
    const listed = async () => ((await (await fetch(`${server.url}/api/files?limit=100`)).json()) as { files: unknown[] }).files
    const before = await listed()
    const outcome = await uploadWithLyingHasher(8 * 1024 * 1024)
    // The refused creation answers without a Location: there is no upload URL to go back to.
    expect(outcome).toMatchObject({ isFerryError: true, code: 'digest-mismatch', status: 422, state: 'failed', url: null })
    expect(await listed()).toEqual(before)
  })

  it('shows the thumbnails as the server makes them, announced over Server-Sent Events', async () => {
    const photo = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-photo-')), 'holiday.jpg')
    await writeFile(photo, await noisyJpeg(1200, 900))
    page = await browser.newPage()
    await page.goto(server.url)
    await page.setInputFiles('#file', photo)
    await page.locator('#result').waitFor({ state: 'visible', timeout: 60_000 })
    await expect.poll(() => page.locator('#thumbnails img').count(), { timeout: 30_000 }).toBe(3)
    await expect.poll(() => page.locator('#processing').textContent(), { timeout: 30_000 }).toBe('done')
    // The description shown keeps up too: not the `pending` it had when the upload succeeded.
    expect(JSON.parse((await page.locator('#result').textContent()) ?? '{}').processing).toBe('done')
    const images = await page.locator('#thumbnails img').evaluateAll((elements) =>
      elements.map((element) => {
        const image = element as HTMLImageElement
        return { alt: image.alt, loaded: image.complete && image.naturalWidth > 0, natural: image.naturalWidth }
      }),
    )
    expect(images).toEqual([
      { alt: 'thumb_150.jpg', loaded: true, natural: 150 },
      { alt: 'thumb_300.jpg', loaded: true, natural: 300 },
      { alt: 'thumb_600.jpg', loaded: true, natural: 600 },
    ])
    expect(await page.locator('#state').textContent()).toBe('done')
  })
})
