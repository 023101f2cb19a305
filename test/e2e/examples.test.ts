import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BrowserContext } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/browser.js'
import { generateFile, sha256OfResponse } from '../helpers/files.js'
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'
import { TUS } from '../helpers/tus.js'

const MIB = 1024 * 1024
const examples = fileURLToPath(new URL('../../examples/', import.meta.url))

async function signIn(url: string, name: string): Promise<string> {
  const response = await fetch(`${url}/session`, { method: 'POST', body: new URLSearchParams({ name }) })
  expect(response.status).toBe(200)
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
}

describe('the ESM app, built by vite, behind the self-hosted example server', () => {
  let server: ServerProcess
  let browser: BrowserContext

  beforeAll(async () => {
    // The ESM build of @ferry/sdk through a real bundler, as an app would take it.
    const appDirectory = await mkdtemp(path.join(tmpdir(), 'ferry-esm-app-'))
    await build({ root: path.join(examples, 'esm-app'), logLevel: 'warn', build: { outDir: appDirectory, emptyOutDir: true } })
    const store = await prepareStore('disk')
    server = await startServerProcess({ ...store.env, APP_DIR: appDirectory }, undefined, path.join(examples, 'self-hosted/server.mjs'))
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('signs in, uploads two files through the Uploader, and stores them byte-exact for that user only', async () => {
    const files = [await generateFile(6 * MIB + 7, 'six.bin'), await generateFile(MIB - 1, 'one.bin')]
    const page = await browser.newPage()
    await page.goto(server.url)
    await page.fill('#name', 'alice')
    await page.click('#sign-in button')
    await page.waitForSelector('#signed-in:not([hidden])')
    await page.setInputFiles('#files', files.map((file) => file.path))
    await page.waitForFunction(() => document.querySelectorAll('#list li[data-sha256]').length === 2, undefined, { timeout: 60_000 })
    const stored = await page.$$eval('#list li', (items) => items.map((item) => ({ sha256: item.dataset.sha256, url: item.dataset.url })))
    expect(stored.map((file) => file.sha256).sort()).toEqual(files.map((file) => file.sha256).sort())
    expect(await page.textContent('#error')).toBe('')
    await page.waitForFunction(() => [...document.querySelectorAll('#list strong')].every((state) => state.textContent === 'done'))
    expect(await page.$$eval('#list li', (items) => items.map((item) => item.textContent))).toEqual([
      expect.stringMatching(/^six\.bin: done stored as uploads\/alice\/others\/.+, SHA-256 [0-9a-f]{64}$/),
      expect.stringMatching(/^one\.bin: done stored as uploads\/alice\/others\/.+, SHA-256 [0-9a-f]{64}$/),
    ])

    const [cookie] = await browser.cookies(server.url)
    const alice = `${cookie?.name}=${cookie?.value}`
    const bob = await signIn(server.url, 'bob')
    for (const { sha256, url } of stored) {
      const own = await fetch(url ?? '', { headers: { cookie: alice } })
      expect(await sha256OfResponse(own)).toBe(sha256)
      // Another user's session: no such upload.
      expect((await fetch(url ?? '', { headers: { cookie: bob } })).status).toBe(404)
    }
    await page.close()
  })

  it('refuses a sign-in from another site’s page, and keeps /metrics to itself', async () => {
    const crossSite = await fetch(`${server.url}/session`, {
      method: 'POST',
      headers: { Origin: 'https://elsewhere.example' },
      body: new URLSearchParams({ name: 'mallory' }),
    })
    expect(crossSite.status).toBe(403)
    expect(crossSite.headers.get('set-cookie')).toBeNull()
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404)
  })

  it('answers 401 without a session, and the app’s pre-create hook refuses an upload without a file name', async () => {
    const anonymous = await fetch(`${server.url}/files/`, { method: 'POST', headers: { ...TUS, 'Upload-Length': '5' } })
    expect(anonymous.status).toBe(401)
    const cookie = await signIn(server.url, 'carol')
    const unnamed = await fetch(`${server.url}/files/`, { method: 'POST', headers: { ...TUS, cookie, 'Upload-Length': '5' } })
    expect(unnamed.status).toBe(400)
    expect((await unnamed.json()).error.code).toBe('rejected')
    expect((await fetch(`${server.url}/api/files`, { headers: { cookie } })).status).toBe(200)
  })
})
