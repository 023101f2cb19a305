// The Chromium that the in-page benches share, and the emulated links they upload over.
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { startPageServer } from './pageServer.mjs'
import { startFerryServer, startPeerServer } from './processes.mjs'

/** Debian's Chromium (or FERRY_CHROMIUM_PATH), headless, without background traffic. */
export function launchBenchBrowser() {
  return chromium.launch({
    executablePath: process.env.FERRY_CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/**
 * A new page whose network CDP emulates (`{ uploadThroughput, downloadThroughput, latency }` in
 * bytes/s and ms; Chromium shares the bandwidth between the page's requests in flight), or the
 * plain loopback without `conditions`.
 */
export async function openPageOnLink(browser, conditions) {
  const page = await browser.newPage()
  if (conditions) {
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, ...conditions })
  }
  return page
}

/**
 * What an upload bench in Chromium runs against, in `work`: the Ferry server (disk, `work/data`),
 * stock @tus/server + FileStore (`work/stock`), the bench page's server and the browser. Each is
 * pushed onto `cleanups` as soon as it runs, so a failure later stops what had started.
 */
export async function startUploadBench(work, cleanups) {
  await mkdir(path.join(work, 'data'), { recursive: true })
  const ferry = await startFerryServer(path.join(work, 'data'))
  cleanups.push(ferry.stop)
  await mkdir(path.join(work, 'stock'), { recursive: true })
  const stockTus = await startPeerServer('tus', path.join(work, 'stock'))
  cleanups.push(stockTus.stop)
  const pageServer = await startPageServer()
  cleanups.push(pageServer.close)
  const browser = await launchBenchBrowser()
  cleanups.push(() => browser.close())
  return { ferry, stockTus, pageServer, browser }
}
