// The Chromium that the in-page benches share, and the emulated links they upload over.
import { chromium } from 'playwright-core'

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
