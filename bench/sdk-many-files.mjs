// Many small files through one queue, where the per-file work outweighs the bytes: the Ferry SDK's
// `Uploader` (hashing on, 3 at a time) → Ferry server (disk), against stock tus-js-client with 3
// uploads at a time → stock @tus/server + @tus/file-store, in one Chromium page, rounds alternated,
// order reversed each round. Files are file-backed (`setInputFiles`); every Ferry upload's SHA-256
// is checked by the server and against the file. `--baseline <ferry.umd.min.js>` adds another
// build of the SDK in the same page, for a change to it.
//
//   node bench/sdk-many-files.mjs [--files 100] [--size-kib 256] [--rounds 5] [--baseline <bundle>]
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startUploadBench } from './lib/benchBrowser.mjs'
import { createCpuShares, printCpuShares } from './lib/cpuShares.mjs'
import { writeRandomFile } from './lib/files.mjs'
import { median, printTable } from './lib/measure.mjs'

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '100' },
    'size-kib': { type: 'string', default: '256' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  console.log('node bench/sdk-many-files.mjs [--files 100] [--size-kib 256] [--rounds 5] [--concurrency 3] [--baseline <ferry.umd.min.js>]')
  process.exit(0)
}
const count = Number(values.files)
const size = Math.round(Number(values['size-kib']) * 1024)
const rounds = Number(values.rounds)
const concurrency = Number(values.concurrency)
if (!Number.isInteger(count) || count < 1 || !(size >= 1) || !Number.isInteger(rounds) || rounds < 1 || !(concurrency >= 1)) {
  console.error('--files, --rounds and --concurrency must be whole numbers ≥ 1, --size-kib at least 1 KiB')
  process.exit(2)
}
const progress = (message) => console.error(`… ${message}`)

/** In the page: every chosen file through an `Uploader` of one build of the SDK. */
async function ferryQueue({ endpoint, concurrency, build }) {
  const files = [...document.getElementById('many').files]
  const started = performance.now()
  const uploader = new window.FerryBuilds[build].Uploader({ endpoint, concurrency, followProcessing: false })
  uploader.add(files)
  const { succeeded, failed } = await uploader.done()
  const seconds = (performance.now() - started) / 1000
  if (failed.length > 0) return { error: `${failed.length} failed, first: ${failed[0].error?.code} ${failed[0].error?.message}` }
  return {
    seconds,
    results: succeeded.map(({ file, result }) => ({ name: file.name, sha256: result.sha256, state: result.state, url: result.url })),
  }
}

/** In the page: every chosen file through stock tus-js-client, `concurrency` at a time. */
async function stockQueue({ endpoint, concurrency }) {
  const files = [...document.getElementById('many').files]
  const started = performance.now()
  const send = (file) =>
    new Promise((resolve, reject) => {
      const upload = new tus.Upload(file, {
        endpoint,
        metadata: { filename: file.name, filetype: file.type },
        onError: reject,
        onSuccess: resolve,
      })
      upload.start()
    })
  let next = 0
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < files.length) await send(files[next++])
      }),
    )
  } catch (error) {
    return { error: String(error) }
  }
  return { seconds: (performance.now() - started) / 1000 }
}

const work = await mkdtemp(path.join(tmpdir(), 'ferry-bench-many-'))
const cleanups = [() => rm(work, { recursive: true, force: true })]
try {
  await mkdir(path.join(work, 'files'))
  progress(`writing ${count} random files of ${size / 1024} KiB`)
  const sources = []
  for (let index = 0; index < count; index++) {
    sources.push(await writeRandomFile(path.join(work, 'files', `file-${String(index).padStart(5, '0')}.bin`), size))
  }
  const expected = new Map(sources.map(({ file, sha256 }) => [path.basename(file), sha256]))
  const { ferry, stockTus, pageServer, browser } = await startUploadBench(work, cleanups)

  const page = await browser.newPage()
  page.on('pageerror', (error) => console.error(`page error: ${error.stack}`))
  await page.goto(pageServer.origin)
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', multiple: true, id: 'many' })
    document.body.append(input)
    window.FerryBuilds = { current: window.Ferry }
  })
  if (values.baseline) {
    await page.addScriptTag({ content: await readFile(values.baseline, 'utf8') })
    await page.evaluate(() => {
      window.FerryBuilds.baseline = window.Ferry
      window.Ferry = window.FerryBuilds.current
    })
  }
  await page.setInputFiles('#many', sources.map(({ file }) => file))

  const ferryRun = (build) => async () => {
    const outcome = await page.evaluate(ferryQueue, { endpoint: `${ferry.origin}/files/`, concurrency, build })
    if (outcome.error) throw new Error(`Ferry (${build}): ${outcome.error}`)
    for (const { name, sha256, state } of outcome.results) {
      if (sha256 !== expected.get(name) || state !== 'verified') throw new Error(`${name}: stored ${sha256} (${state})`)
    }
    if (outcome.results.length !== count) throw new Error(`Ferry (${build}): ${outcome.results.length} of ${count} files`)
    // Each round starts from the same server state.
    for (const { url } of outcome.results) {
      const deleted = await fetch(url, { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0' } })
      if (deleted.status !== 204) throw new Error(`DELETE answered ${deleted.status}`)
    }
    return outcome.seconds
  }
  const stockRun = async () => {
    const outcome = await page.evaluate(stockQueue, { endpoint: `${stockTus.origin}/files`, concurrency })
    if (outcome.error) throw new Error(`stock tus-js-client: ${outcome.error}`)
    return outcome.seconds
  }
  const contenders = [
    { name: `Ferry SDK \`Uploader\` (hashing on, ${concurrency} at a time) → Ferry server`, run: ferryRun('current') },
    ...(values.baseline
      ? [{ name: `the same with the baseline build (${values.baseline})`, run: ferryRun('baseline') }]
      : []),
    { name: `stock tus-js-client, ${concurrency} at a time → stock @tus/server + FileStore`, run: stockRun },
  ]
  // Where the CPU goes: on 2 cores, the per-file work of browser and server is what limits a queue.
  const cpuShares = createCpuShares(new Map([[ferry.pid, 'Ferry server'], [stockTus.pid, 'stock @tus/server']]))
  const samples = new Map(contenders.map(({ name }) => [name, []]))
  const cpu = new Map(contenders.map(({ name }) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    progress(`round ${round + 1} of ${rounds}`)
    for (const { name, run } of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      const before = cpuShares.sample()
      const seconds = await run()
      cpu.get(name).push(cpuShares.since(before))
      samples.get(name).push((count * size) / 1e6 / seconds)
      progress(`${name}: ${(count / seconds).toFixed(1)} files/s`)
    }
  }
  console.log('# Many small files through one queue, in Chromium\n')
  console.log(`${count} file-backed files of ${size / 1024} KiB, ${concurrency} at a time; ${rounds} rounds, alternated, order reversed each round.`)
  printTable(
    `## ${count} × ${size / 1024} KiB, loopback, median of ${rounds} (MB/s; files/s = MB/s ÷ ${((size / 1e6)).toFixed(3)})`,
    contenders.map(({ name }) => ({ name, mbPerSecond: median(samples.get(name)), samples: samples.get(name) })),
  )
  printCpuShares(
    `CPU seconds per ${count} files by process (medians; deleting the files between rounds not counted)`,
    contenders.map(({ name }) => ({ name, cpu: cpu.get(name), mbPerSecond: median(samples.get(name)) })),
    count * size,
  )
} finally {
  while (cleanups.length > 0) await cleanups.pop()().catch((error) => console.error(`cleanup: ${error.message}`))
}
