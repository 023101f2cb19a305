import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/browser.js'
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy.js'
import { bearerToken } from '../helpers/jwt.js'
import { noisyJpeg } from '../helpers/processing.js'
import { startUpload, uploadOutcome } from '../helpers/sdkPage.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'

const SECRET = 'a-jwt-secret-that-is-long-enough-for-hs256'
const WIDTH = 640
const HEIGHT = 427

/**
 * The use case: an app whose uploads need a bearer token shows an uploaded image in `<img>`, which
 * can send no token. The page is on another origin than the server, as an app's would be.
 */
describe('a page shows an upload of a jwt-mode server in <img> through its signed URL', () => {
  let server: ServerProcess
  let proxy: FaultProxy
  let browser: BrowserContext
  let image: string

  beforeAll(async () => {
    server = await startServerProcess({ ...(await prepareStore('disk')).env, FERRY_AUTH: 'jwt', FERRY_JWT_SECRET: SECRET, FERRY_PROCESSING: 'false' })
    proxy = await startFaultProxy(server.url)
    browser = await launchChromium()
    image = path.join(tmpdir(), `ferry-signed-img-${process.pid}.jpg`)
    await writeFile(image, await noisyJpeg(WIDTH, HEIGHT))
  })
  afterAll(async () => {
    await browser?.close()
    await proxy?.close()
    await server?.stop()
  })

  it('loads the image from the downloadUrl of the SDK’s result, and not from the plain URL', async () => {
    const page = await browser.newPage()
    try {
      await page.goto(`${proxy.url}/test.html`)
      await page.setInputFiles('#picker', image)
      await startUpload(page, { endpoint: `${server.url}/files/`, headers: { Authorization: await bearerToken(SECRET, 'alice') } })
      const outcome = await uploadOutcome(page)
      expect(outcome.error).toBeUndefined()
      const file = outcome.file as { url: string; downloadUrl?: string }
      expect(file.downloadUrl).toMatch(/[?&]signature=/)

      const shown = await page.evaluate(
        ({ signed, plain }) => {
          const load = (src: string) =>
            new Promise<{ loaded: boolean; width: number; height: number }>((resolve) => {
              const img = document.createElement('img')
              img.onload = () => resolve({ loaded: true, width: img.naturalWidth, height: img.naturalHeight })
              img.onerror = () => resolve({ loaded: false, width: img.naturalWidth, height: img.naturalHeight })
              img.src = src
              document.body.append(img)
            })
          return Promise.all([load(signed), load(plain)])
        },
        { signed: file.downloadUrl ?? '', plain: file.url },
      )
      expect(shown[0]).toEqual({ loaded: true, width: WIDTH, height: HEIGHT })
      // Without the signature the browser has no way to send the token: refused (401).
      expect(shown[1]).toEqual({ loaded: false, width: 0, height: 0 })
    } finally {
      await page.close()
    }
  })
})
