import { createHash } from 'node:crypto'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/browser.js'
import { sha256OfResponse } from '../helpers/files.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'

const MIB = 1024 * 1024

/** The bytes the page generates: block i is 1 MiB of the byte pattern (i * 31 + offset) & 0xff. */
function expectedSha256(sizeMib: number): string {
  const hash = createHash('sha256')
  const block = Buffer.alloc(MIB)
  for (let index = 0; index < sizeMib; index++) {
    for (let offset = 0; offset < MIB; offset++) block[offset] = (index * 31 + offset) & 0xff
    hash.update(block)
  }
  return hash.digest('hex')
}

describe('a large in-memory Blob in Chromium', () => {
  let server: ServerProcess
  let browser: BrowserContext
  beforeAll(async () => {
    server = await startServerProcess({ ...(await prepareStore('disk')).env, FERRY_PROCESSING: 'false' })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  // Chromium counts every live slice of an in-memory Blob against its blob storage (about
  // 500 MiB with the parent) until the slice is collected; stock tus-js-client fails near 240 MiB.
  it('uploads a 256 MiB generated Blob with hashing on, byte-exact', async () => {
    const sizeMib = 256
    const page = await browser.newPage()
    await page.goto(server.url)
    const outcome = await page.evaluate(async (sizeMib) => {
      const MIB = 1024 * 1024
      // One ramp of MiB + 256 bytes; block i is the ramp shifted by (i * 31) mod 256.
      const ramp = new Uint8Array(MIB + 256)
      for (let offset = 0; offset < ramp.length; offset++) ramp[offset] = offset & 0xff
      const parts: Uint8Array<ArrayBuffer>[] = []
      for (let index = 0; index < sizeMib; index++) {
        const shift = (index * 31) & 0xff
        parts.push(ramp.slice(shift, shift + MIB))
      }
      const blob = new Blob(parts, { type: 'application/octet-stream' })
      parts.length = 0
      const { FerryUpload } = (window as unknown as { Ferry: typeof import('@ferry/sdk') }).Ferry
      const upload = new FerryUpload(blob, { endpoint: '/files/', followProcessing: false })
      try {
        const file = await upload.start()
        return { url: file.url, sha256: file.sha256, size: file.size }
      } catch (error) {
        return { error: `${(error as { code?: string }).code}: ${(error as Error).message}` }
      }
    }, sizeMib)
    expect((outcome as { error?: string }).error).toBeUndefined()
    const expected = expectedSha256(sizeMib)
    expect(outcome).toMatchObject({ size: sizeMib * MIB, sha256: expected })
    const download = await fetch(new URL(new URL((outcome as { url: string }).url).pathname, server.url))
    expect(await sha256OfResponse(download)).toBe(expected)
  })
})
