// The browser SDK in Chromium on loopback, every contender alternated within one run (order
// reversed each round), medians printed as markdown tables with ratios:
//   1. SHA-256 MB/s: the SDK's WorkerHasher on a file-backed File, raw hash-wasm on in-memory
//      ArrayBuffers in the same page, and native `openssl speed` as the ceiling.
//   2. Upload MB/s of a file-backed File: Ferry SDK (hashing on) to the Ferry server, stock
//      tus-js-client to stock @tus/server + FileStore, and a plain fetch PUT streamed to disk.
//   3. The same three on a link throttled to 50 MB/s by Chromium's network emulation.
//   4. The page's JS heap (and renderer and server RSS) during one large SDK upload.
// Every upload is checked byte for byte (SHA-256 of what landed) before its time counts. After
// the hashing and upload tables, the CPU seconds each contender took, by process (from /proc).
//
// `--phases` adds rows that show where the time goes: the SDK with each chunk read
// again on the main thread for its checksum (instead of digested by the hash worker); the SDK
// without the whole-file hash (a hasher that already knows the digest) and chunk checksums; the
// SDK against stock @tus/server (the client's cost alone); stock tus-js-client with the SDK's
// hash Workers digesting the file beside it (the hash's CPU alone), and with a Worker that only
// spins as long (any busy core); stock tus-js-client against the Ferry server (the server's cost
// alone).
//
//   node bench/sdk-browser.mjs [--size-mib 256] [--rounds 5] [--hash-rounds 9] [--heap-gib 1] [--phases]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { expectSameBytes, writeRandomFile } from './lib/files.mjs'
import { ferryUpload, plainPut, prepareBuffers, rawHashWasm, sdkDigest, stockTusUpload } from './lib/inPage.mjs'
import { createCpuShares, printCpuShares } from './lib/cpuShares.mjs'
import { median, printTable } from './lib/measure.mjs'
import { startPageServer } from './lib/pageServer.mjs'
import { descendantsMatching, residentBytes, startFerryServer, startPeerServer } from './lib/processes.mjs'

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '256' },
    rounds: { type: 'string', default: '5' },
    // Hashing moves most with the machine and takes a few seconds a round: more rounds for it.
    'hash-rounds': { type: 'string', default: '9' },
    'heap-gib': { type: 'string', default: '1' },
    phases: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  console.log('node bench/sdk-browser.mjs [--size-mib 256] [--rounds 5] [--hash-rounds 9] [--heap-gib 1] [--phases]')
  process.exit(0)
}
const MIB = 1024 * 1024
const size = Math.round(Number(values['size-mib']) * MIB)
const heapSize = Math.round(Number(values['heap-gib']) * 1024 * MIB)
const rounds = Number(values.rounds)
const hashRounds = Number(values['hash-rounds'])
if (!(size >= MIB && heapSize >= MIB && [rounds, hashRounds].every((count) => Number.isInteger(count) && count >= 1))) {
  console.error('--size-mib and --heap-gib must be at least 1 MiB, --rounds and --hash-rounds whole numbers ≥ 1')
  process.exit(2)
}
const chunkSize = 8 * MIB
const throttle = 50e6
const chromiumPath = process.env.FERRY_CHROMIUM_PATH ?? '/usr/bin/chromium'
const progress = (message) => console.error(`… ${message}`)

// Undone in reverse order, once, whether the run ends, fails or is interrupted (the browser is
// launched without Playwright's own signal handlers, which would exit before this runs).
const cleanups = []
let cleaning
function cleanUp() {
  cleaning ??= (async () => {
    while (cleanups.length > 0) await cleanups.pop()().catch((error) => console.error(`cleanup: ${error.message}`))
  })()
  return cleaning
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => cleanUp().finally(() => process.exit(130)))
}

/** tus termination, which both tus servers implement; frees the disk between rounds. */
async function terminate(url) {
  const response = await fetch(url, { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0' } })
  if (response.status !== 204) throw new Error(`DELETE ${url} answered ${response.status}`)
}

/** `openssl speed -evp sha256 -bytes 8192 -seconds 3`, in MB/s (it reports 1000s of bytes/s). */
async function opensslSha256() {
  const child = spawn('openssl', ['speed', '-evp', 'sha256', '-bytes', '8192', '-seconds', '3'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  const [code] = await once(child, 'close')
  const match = /^sha256\s+([\d.]+)k\s*$/im.exec(output)
  if (code !== 0 || !match) throw new Error(`openssl speed: exit ${code}, no sha256 line in:\n${output}`)
  return Number(match[1]) / 1000
}

/**
 * Every contender once per round, order reversed each round. Not measure.mjs's `compare`: that
 * times `run()` from Node, while here each run reports its own rate (timed inside the page, or by
 * openssl) so that checking the stored bytes afterwards does not count.
 */
async function alternate(contenders, cpuShares, rounds) {
  const samples = new Map(contenders.map(({ name }) => [name, []]))
  const cpu = new Map(contenders.map(({ name }) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    progress(`round ${round + 1} of ${rounds}`)
    for (const { name, run } of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      const before = cpuShares?.sample()
      samples.get(name).push(await run())
      if (before) cpu.get(name).push(cpuShares.since(before))
    }
  }
  return contenders.map(({ name }) => ({
    name,
    mbPerSecond: median(samples.get(name)),
    samples: samples.get(name),
    cpu: cpu.get(name),
  }))
}

async function inPage(page, what, fn, argument) {
  const result = await page.evaluate(fn, argument)
  if (result.error) throw new Error(`${what}: ${result.error}`)
  return result
}

const ratioOf = (results, name, baseline) =>
  results.find((result) => result.name === name).mbPerSecond / results.find((result) => result.name === baseline).mbPerSecond
const targets = []
function checkTarget(check, ratio, target) {
  targets.push(`| ${check} | ${ratio.toFixed(2)}× | ≥ ${target}× | ${ratio >= target ? 'met' : '**not met**'} |`)
}
const mib = (bytes) => (bytes / MIB).toFixed(1)

const work = await mkdtemp(path.join(tmpdir(), 'ferry-bench-browser-'))
cleanups.push(() => rm(work, { recursive: true, force: true }))
try {
  const directories = Object.fromEntries(['ferry', 'tus', 'put', 'profile'].map((name) => [name, path.join(work, name)]))
  await Promise.all(Object.values(directories).map((directory) => mkdir(directory)))

  progress(`writing a ${mib(size)} MiB random file`)
  const source = await writeRandomFile(path.join(work, 'source.bin'), size)

  const ferry = await startFerryServer(directories.ferry)
  cleanups.push(ferry.stop)
  const stockTus = await startPeerServer('tus', directories.tus)
  cleanups.push(stockTus.stop)
  const put = await startPeerServer('put', directories.put)
  cleanups.push(put.stop)
  const pageServer = await startPageServer()
  cleanups.push(pageServer.close)
  const cpuShares = createCpuShares(
    new Map([
      [ferry.pid, 'Ferry server'],
      [stockTus.pid, 'stock @tus/server'],
      [put.pid, 'plain PUT server'],
    ]),
  )

  // test/helpers/browser.ts's flags, plus precise (unbucketed) performance.memory.
  const context = await chromium.launchPersistentContext(directories.profile, {
    executablePath: chromiumPath,
    headless: true,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--enable-precise-memory-info',
    ],
  })
  cleanups.push(() => context.close())

  async function openPage(file, networkConditions) {
    const page = await context.newPage()
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`))
    const cdp = await context.newCDPSession(page)
    if (networkConditions) {
      await cdp.send('Network.enable')
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, ...networkConditions })
    }
    await page.goto(pageServer.origin)
    await page.setInputFiles('#picker', file)
    return { page, cdp }
  }

  const { cdp: versionSession, page: firstPage } = await openPage(source.file)
  const { product } = await versionSession.send('Browser.getVersion')
  await firstPage.close()
  console.log('# Ferry SDK in Chromium: hashing, upload and heap\n')
  console.log(`${product}, Node ${process.version}, ${(await readFile('/proc/cpuinfo', 'utf8')).match(/^processor/gm).length} CPUs, loopback.`)
  console.log(`File ${mib(size)} MiB, file-backed (\`setInputFiles\`); chunks ${mib(chunkSize)} MiB; ${rounds} rounds (hashing ${hashRounds}), contenders alternated, order reversed each round.`)
  console.log('MB/s = 10^6 bytes/s, timed inside the page with performance.now(); every upload\'s stored bytes are SHA-256-checked.')

  // 1. Hashing
  let hashSeconds
  {
    const { page } = await openPage(source.file)
    const { agrees } = await page.evaluate(prepareBuffers, { size, bufferSize: 8 * MIB })
    if (!agrees) throw new Error('hash-wasm and WebCrypto disagree on the first buffer')
    let rawDigest
    const hashing = await alternate([
      {
        name: 'Ferry `WorkerHasher().digest(file)`, file-backed File, in its Workers',
        run: async () => {
          const { seconds, sha256 } = await inPage(page, 'WorkerHasher', sdkDigest)
          if (sha256 !== source.sha256) throw new Error(`WorkerHasher: ${sha256}, file is ${source.sha256}`)
          return size / 1e6 / seconds
        },
      },
      {
        name: 'the same, workers started ahead (`prepare()`, as an upload does)',
        run: async () => {
          const { seconds, sha256 } = await inPage(page, 'WorkerHasher, prepared', sdkDigest, { prepared: true })
          if (sha256 !== source.sha256) throw new Error(`WorkerHasher, prepared: ${sha256}, file is ${source.sha256}`)
          return size / 1e6 / seconds
        },
      },
      { name: 'native `openssl speed -evp sha256 -bytes 8192` (ceiling)', run: opensslSha256 },
      {
        name: 'raw hash-wasm `createSHA256()`, in-memory 8 MiB ArrayBuffers, main thread',
        run: async () => {
          const { seconds, sha256 } = await inPage(page, 'raw hash-wasm', rawHashWasm)
          rawDigest ??= sha256
          if (sha256 !== rawDigest) throw new Error('raw hash-wasm: a different digest of the same buffers')
          return size / 1e6 / seconds
        },
      },
    ], cpuShares, hashRounds)
    await page.close()
    printTable(`## 1. SHA-256, ${mib(size)} MiB, median of ${hashRounds} (ratios to raw hash-wasm)`, hashing)
    printCpuShares('CPU seconds per hash by process (medians; openssl runs outside them)', hashing, size)
    checkTarget('SDK hashing ÷ raw hash-wasm', hashing[0].mbPerSecond / hashing[3].mbPerSecond, 0.9)
    hashSeconds = size / 1e6 / hashing[1].mbPerSecond
  }

  // 2 and 3. Uploads, unthrottled and throttled
  let putCount = 0
  const ferryVariant = (page, name, options) => ({
    name,
    run: async () => {
      const result = await inPage(page, name, ferryUpload, { endpoint: `${ferry.origin}/files/`, chunkSize, ...options })
      if (result.sha256 !== source.sha256 || result.size !== size || result.state !== 'verified') {
        throw new Error(`${name}: server stored ${result.size} bytes, SHA-256 ${result.sha256}, ${result.state}`)
      }
      await terminate(result.url)
      return size / 1e6 / result.seconds
    },
  })
  const phaseContenders = (page) => [
    ferryVariant(page, 'phase: Ferry SDK, chunks read again on the main thread for their checksums', { rereadChunks: true }),
    ferryVariant(page, 'phase: Ferry SDK, digest known (no hashing), no chunk checksums', {
      knownSha256: source.sha256,
      chunkChecksums: false,
    }),
    {
      // The SDK's own cost: the same server as stock tus (no checksum extension, digest ignored).
      name: 'phase: Ferry SDK (hashing on) → stock @tus/server + FileStore',
      run: async () => {
        const name = 'phase: Ferry SDK → stock @tus/server'
        const result = await inPage(page, name, ferryUpload, { endpoint: `${stockTus.origin}/files`, chunkSize })
        await expectSameBytes(path.join(directories.tus, new URL(result.url).pathname.split('/').pop()), source, name)
        await terminate(result.url)
        return size / 1e6 / result.seconds
      },
    },
    {
      // What the hash's CPU alone costs an upload: stock tus-js-client, with the SDK's hash
      // Workers digesting the same File beside it (nothing of it is sent).
      name: 'phase: stock tus-js-client → stock @tus/server, the SDK\'s WorkerHasher hashing the File beside it',
      run: async () => {
        const name = 'phase: stock tus, hash beside'
        const { seconds, url, besideSha256 } = await inPage(page, name, stockTusUpload, { endpoint: `${stockTus.origin}/files`, chunkSize, beside: 'hash' })
        if (besideSha256 !== source.sha256) throw new Error(`${name}: the hash beside gave ${besideSha256}`)
        await expectSameBytes(path.join(directories.tus, new URL(url).pathname.split('/').pop()), source, name)
        await terminate(url)
        return size / 1e6 / seconds
      },
    },
    {
      // Whether any busy core costs the upload, not hashing as such: a Worker that only spins for
      // as long as the SDK's hash took in section 1.
      name: 'phase: stock tus-js-client → stock @tus/server, a Worker spinning beside it as long as a hash takes',
      run: async () => {
        const name = 'phase: stock tus, spin beside'
        const { seconds, url } = await inPage(page, name, stockTusUpload, { endpoint: `${stockTus.origin}/files`, chunkSize, beside: { spinSeconds: hashSeconds } })
        await expectSameBytes(path.join(directories.tus, new URL(url).pathname.split('/').pop()), source, name)
        await terminate(url)
        return size / 1e6 / seconds
      },
    },
    {
      // The Ferry server's own cost: the same client as stock tus, no chunk checksums.
      name: 'phase: stock tus-js-client → Ferry server (Repr-Digest on the last PATCH)',
      run: async () => {
        const reprDigest = `sha-256=:${Buffer.from(source.sha256, 'hex').toString('base64')}:`
        const { seconds, url } = await inPage(page, 'stock tus → Ferry', stockTusUpload, {
          endpoint: `${ferry.origin}/files/`,
          chunkSize,
          reprDigest,
        })
        // The upload completed, so the server found the SHA-256 of what it stored equal to the digest.
        await terminate(url)
        return size / 1e6 / seconds
      },
    },
  ]
  const uploadContenders = (page, ferryRuns) => [
    ...(values.phases ? phaseContenders(page) : []),
    {
      name: 'Ferry SDK (hashing on) → Ferry server',
      run: async () => {
        const result = await inPage(page, 'Ferry SDK', ferryUpload, { endpoint: `${ferry.origin}/files/`, chunkSize })
        if (result.sha256 !== source.sha256 || result.size !== size || result.state !== 'verified') {
          throw new Error(`Ferry SDK: server stored ${result.size} bytes, SHA-256 ${result.sha256}, ${result.state}`)
        }
        await terminate(result.url)
        ferryRuns.push(result)
        return size / 1e6 / result.seconds
      },
    },
    {
      name: 'plain `fetch` PUT → Node stream to disk',
      run: async () => {
        const name = `put-${putCount++}.bin`
        const { seconds } = await inPage(page, 'plain PUT', plainPut, { url: `${put.origin}/${name}` })
        await expectSameBytes(path.join(directories.put, name), source, 'plain PUT')
        await rm(path.join(directories.put, name))
        return size / 1e6 / seconds
      },
    },
    {
      name: 'stock tus-js-client → stock @tus/server + FileStore',
      run: async () => {
        const { seconds, url } = await inPage(page, 'stock tus', stockTusUpload, { endpoint: `${stockTus.origin}/files`, chunkSize })
        await expectSameBytes(path.join(directories.tus, new URL(url).pathname.split('/').pop()), source, 'stock tus')
        await terminate(url)
        return size / 1e6 / seconds
      },
    },
  ]
  let unthrottledPut
  for (const throttled of [false, true]) {
    const conditions = throttled ? { downloadThroughput: throttle, uploadThroughput: throttle } : undefined
    const { page } = await openPage(source.file, conditions)
    const ferryRuns = []
    const uploads = await alternate(uploadContenders(page, ferryRuns), cpuShares, rounds)
    await page.close()
    const link = throttled ? `link throttled to ${throttle / 1e6} MB/s (CDP network emulation)` : 'loopback, unthrottled'
    printTable(`## ${throttled ? 3 : 2}. Upload, ${mib(size)} MiB, ${link}, median of ${rounds} (ratios to stock tus)`, uploads)
    printCpuShares(`CPU seconds per upload by process (${link}, medians; the bench's own process not counted)`, uploads, size)
    const at = (key) => median(ferryRuns.map((run) => run[key] ?? run.timeline[key])).toFixed(2)
    console.log(
      `\nFerry SDK timeline, medians: hash ready at ${at('hashed')} s, last byte sent at ${at('sent')} s, ` +
        `server's answer (its SHA-256 check included) at ${at('seconds')} s.`,
    )
    const [ferryName, putName, tusName] = uploads.slice(-3).map(({ name }) => name)
    const [overTus, overPut] = [ratioOf(uploads, ferryName, tusName), ratioOf(uploads, ferryName, putName)]
    console.log(`Ratios of medians: Ferry ÷ stock tus ${overTus.toFixed(2)}×, Ferry ÷ plain PUT ${overPut.toFixed(2)}×.`)
    const label = throttled ? ' at 50 MB/s' : ''
    checkTarget(`Ferry ÷ stock tus${label}`, overTus, throttled ? 0.98 : 0.75)
    if (!throttled) {
      checkTarget('Ferry ÷ plain PUT', overPut, 0.8)
      unthrottledPut = uploads.at(-2).mbPerSecond
    } else {
      const putRate = uploads.at(-2).mbPerSecond
      const limit = throttle / 1e6
      const verdict =
        unthrottledPut <= limit * 1.1
          ? 'cannot be told apart from no throttling (the unthrottled PUT is not faster than the limit)'
          : putRate <= limit * 1.1
            ? `applies to request bodies (the emulated link delivers ${((100 * putRate) / limit).toFixed(0)} % of its nominal rate)`
            : '**does not apply** to request bodies in this Chromium'
      console.log(
        `\nThrottle check: the same plain PUT went ${unthrottledPut.toFixed(1)} MB/s unthrottled and ` +
          `${putRate.toFixed(1)} MB/s under the ${limit} MB/s limit, so upload throttling ${verdict}.`,
      )
    }
  }

  // 4. Heap during one large upload
  {
    progress(`writing a ${mib(heapSize)} MiB random file for the heap run`)
    const heapSource = await writeRandomFile(path.join(work, 'heap.bin'), heapSize)
    await rm(source.file)
    const { page, cdp } = await openPage(heapSource.file)
    await cdp.send('HeapProfiler.collectGarbage')
    const sample = async () => {
      const usage = await cdp.send('Runtime.getHeapUsage')
      const renderers = descendantsMatching(process.pid, '--type=renderer')
      return {
        cdpUsed: usage.usedSize,
        backing: usage.backingStorageSize,
        renderer: renderers.reduce((sum, pid) => sum + residentBytes(pid), 0),
        server: residentBytes(ferry.pid),
      }
    }
    const before = []
    for (let index = 0; index < 4; index++) {
      before.push(await sample())
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    const pageBaseline = await page.evaluate(() => performance.memory.usedJSHeapSize)
    progress(`uploading ${mib(heapSize)} MiB with the SDK, sampling every 250 ms`)
    let settled = false
    const outcome = inPage(page, 'Ferry SDK (heap run)', ferryUpload, {
      endpoint: `${ferry.origin}/files/`,
      chunkSize,
      heapSampleMs: 250,
    }).finally(() => (settled = true))
    const during = []
    while (!settled) {
      during.push(await sample())
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    const result = await outcome
    if (result.sha256 !== heapSource.sha256 || result.state !== 'verified') throw new Error('heap run: stored bytes differ')
    await terminate(result.url)
    await page.close()

    console.log(`\n## 4. Memory during one ${mib(heapSize)} MiB SDK upload (${heapSize / chunkSize} chunks of ${mib(chunkSize)} MiB), sampled every 250 ms`)
    console.log(`${(heapSize / 1e6 / result.seconds).toFixed(0)} MB/s, ${during.length} samples, SHA-256 verified by the server.\n`)
    // Peaks of each half of the upload: memory that grows with the file shows a higher second half.
    console.log('| measure | baseline MiB | peak, 1st half MiB | peak, 2nd half MiB | peak − baseline MiB | (peak − baseline) ÷ chunk |')
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
    const row = (label, baseline, samples) => {
      const half = Math.ceil(samples.length / 2)
      const first = Math.max(baseline, ...samples.slice(0, half))
      const second = Math.max(baseline, ...samples.slice(half))
      const peak = Math.max(baseline, first, second)
      const growth = `${mib(peak - baseline)} | ${((peak - baseline) / chunkSize).toFixed(2)}`
      console.log(`| ${label} | ${mib(baseline)} | ${mib(first)} | ${mib(second)} | ${growth} |`)
    }
    const samplesOf = (key) => during.map((entry) => entry[key])
    const baselineOf = (key) => median(before.map((entry) => entry[key]))
    row('page JS heap, `performance.memory.usedJSHeapSize`', pageBaseline, result.heap)
    row('page JS heap, CDP `Runtime.getHeapUsage` usedSize', baselineOf('cdpUsed'), samplesOf('cdpUsed'))
    if (before[0].backing !== undefined) {
      row('page ArrayBuffer backing stores, CDP backingStorageSize', baselineOf('backing'), samplesOf('backing'))
    }
    row('Chromium renderer processes RSS (page + hash Worker)', baselineOf('renderer'), samplesOf('renderer'))
    row('Ferry server RSS', baselineOf('server'), samplesOf('server'))
    console.log('\nThe hash Worker has its own V8 isolate: its heap is not in the page\'s figures, only in the renderer RSS.')
  }

  console.log('\n## Targets\n')
  console.log('| check | measured (ratio of medians) | target | |')
  console.log('| --- | ---: | ---: | --- |')
  for (const line of targets) console.log(line)
} catch (error) {
  console.error(error)
  process.exitCode = 1
} finally {
  await cleanUp()
}
