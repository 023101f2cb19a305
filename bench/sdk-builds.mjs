// Two builds of the browser SDK side by side in one Chromium page, for a change to the SDK: this
// checkout's UMD bundle against a baseline bundle (another commit's `packages/sdk/dist/
// ferry.umd.min.js`), rounds alternated, order reversed each round. Three tables, each with the
// baseline as the last row:
//   1. SHA-256 MB/s of `WorkerHasher().digest(file)`, with raw hash-wasm on in-memory buffers;
//   2. upload MB/s, SDK (hashing on) → Ferry server (disk), loopback;
//   3. the same on a link throttled to 50 MB/s (CDP network emulation).
// Every upload's digest is checked by the server and against the file.
//
//   node bench/sdk-builds.mjs --baseline <ferry.umd.min.js> [--size-mib 256] [--rounds 9]
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { launchBenchBrowser, openPageOnLink } from './lib/benchBrowser.mjs'
import { writeRandomFile } from './lib/files.mjs'
import { ferryUpload, prepareBuffers, rawHashWasm, sdkDigest } from './lib/inPage.mjs'
import { median, printTable } from './lib/measure.mjs'
import { startPageServer } from './lib/pageServer.mjs'
import { startFerryServer } from './lib/processes.mjs'

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    'size-mib': { type: 'string', default: '256' },
    rounds: { type: 'string', default: '9' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help || !values.baseline) {
  console.log('node bench/sdk-builds.mjs --baseline <ferry.umd.min.js of another build> [--size-mib 256] [--rounds 9]')
  process.exit(values.help ? 0 : 2)
}
const MIB = 1024 * 1024
const size = Math.round(Number(values['size-mib']) * MIB)
const rounds = Number(values.rounds)
const chunkSize = 8 * MIB
const throttle = 50e6
const progress = (message) => console.error(`… ${message}`)
const baselineBundle = await readFile(values.baseline, 'utf8')

const work = await mkdtemp(path.join(tmpdir(), 'ferry-bench-builds-'))
const cleanups = [() => rm(work, { recursive: true, force: true })]
try {
  await mkdir(path.join(work, 'data'))
  progress(`writing a ${size / MIB} MiB random file`)
  const source = await writeRandomFile(path.join(work, 'source.bin'), size)
  const ferry = await startFerryServer(path.join(work, 'data'))
  cleanups.push(ferry.stop)
  const pageServer = await startPageServer()
  cleanups.push(pageServer.close)
  const browser = await launchBenchBrowser()
  cleanups.push(() => browser.close())

  /** A page with both builds: `window.Ferry` is switched to the one a run uses. */
  async function openPage(networkConditions) {
    const page = await openPageOnLink(browser, networkConditions)
    await page.goto(pageServer.origin)
    await page.evaluate(() => (window.FerryBuilds = { current: window.Ferry }))
    await page.addScriptTag({ content: baselineBundle })
    await page.evaluate(() => (window.FerryBuilds.baseline = window.Ferry))
    await page.setInputFiles('#picker', source.file)
    return page
  }
  const useBuild = (page, build) => page.evaluate((build) => (window.Ferry = window.FerryBuilds[build]), build)

  async function alternate(contenders) {
    const samples = new Map(contenders.map(({ name }) => [name, []]))
    for (let round = 0; round < rounds; round++) {
      progress(`round ${round + 1} of ${rounds}`)
      for (const { name, run } of round % 2 === 0 ? contenders : [...contenders].reverse()) samples.get(name).push(await run())
    }
    return contenders.map(({ name }) => ({ name, mbPerSecond: median(samples.get(name)), samples: samples.get(name) }))
  }

  console.log('# Two SDK builds in Chromium\n')
  console.log(`this checkout's bundle against \`${values.baseline}\`; file ${size / MIB} MiB, file-backed; chunks 8 MiB; ${rounds} rounds, alternated.`)

  // 1. Hashing
  {
    const page = await openPage()
    await page.evaluate(prepareBuffers, { size, bufferSize: 8 * MIB })
    const digestWith = (build) => async () => {
      await useBuild(page, build)
      const { seconds, sha256 } = await page.evaluate(sdkDigest)
      if (sha256 !== source.sha256) throw new Error(`${build} build: digest ${sha256}, file ${source.sha256}`)
      return size / 1e6 / seconds
    }
    const hashing = await alternate([
      { name: 'this build, `WorkerHasher().digest(file)`', run: digestWith('current') },
      {
        name: 'raw hash-wasm, in-memory 8 MiB buffers, main thread',
        run: async () => size / 1e6 / (await page.evaluate(rawHashWasm)).seconds,
      },
      { name: 'baseline build, `WorkerHasher().digest(file)`', run: digestWith('baseline') },
    ])
    await page.close()
    printTable(`## 1. SHA-256, ${size / MIB} MiB, median of ${rounds} (ratios to the baseline build)`, hashing)
  }

  // 2 and 3. Uploads
  for (const throttled of [false, true]) {
    const page = await openPage(throttled ? { downloadThroughput: throttle, uploadThroughput: throttle } : undefined)
    const uploadWith = (build) => async () => {
      await useBuild(page, build)
      const result = await page.evaluate(ferryUpload, { endpoint: `${ferry.origin}/files/`, chunkSize })
      if (result.error) throw new Error(`${build} build: ${result.error}`)
      if (result.sha256 !== source.sha256 || result.state !== 'verified') throw new Error(`${build} build: stored ${result.sha256} (${result.state})`)
      const deleted = await fetch(result.url, { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0' } })
      if (deleted.status !== 204) throw new Error(`DELETE answered ${deleted.status}`)
      return size / 1e6 / result.seconds
    }
    const uploads = await alternate([
      { name: 'this build (hashing on) → Ferry server', run: uploadWith('current') },
      { name: 'baseline build (hashing on) → Ferry server', run: uploadWith('baseline') },
    ])
    await page.close()
    const link = throttled ? `link throttled to ${throttle / 1e6} MB/s` : 'loopback'
    printTable(`## ${throttled ? 3 : 2}. Upload, ${size / MIB} MiB, ${link}, median of ${rounds} (ratios to the baseline build)`, uploads)
  }
} finally {
  while (cleanups.length > 0) await cleanups.pop()().catch((error) => console.error(`cleanup: ${error.message}`))
}
