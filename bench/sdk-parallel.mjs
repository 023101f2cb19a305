// Whether to split one large file into parallel partial uploads (the SDK's `parallelUploads`, tus
// concatenation, off by default until measured): the Ferry SDK (hashing on) → Ferry server (disk)
// with 1, 2 and 4 partial uploads, in one Chromium page, rounds alternated, on three links:
// loopback, 50 MB/s, and 50 MB/s with 40 ms of latency per request (CDP network emulation, which
// shares the link's bandwidth between the requests in flight). Every upload's digest is checked by
// the server and against the file. Beside them, for reference, stock tus-js-client (no hashing, one
// stream, the same chunks) → stock @tus/server + @tus/file-store.
//
//   node bench/sdk-parallel.mjs [--size-mib 256] [--rounds 5] [--parallel 1,2,4] [--links 1,2,3]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { openPageOnLink, startUploadBench } from './lib/benchBrowser.mjs'
import { writeRandomFile } from './lib/files.mjs'
import { ferryUpload, stockTusUpload } from './lib/inPage.mjs'
import { median, printTable } from './lib/measure.mjs'

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '256' },
    rounds: { type: 'string', default: '5' },
    parallel: { type: 'string', default: '1,2,4' },
    // Which of the links below to run, by number.
    links: { type: 'string', default: '1,2,3' },
  },
})
const MIB = 1024 * 1024
const size = Math.round(Number(values['size-mib']) * MIB)
const rounds = Number(values.rounds)
const counts = values.parallel.split(',').map(Number)
const chunkSize = 8 * MIB
const progress = (message) => console.error(`… ${message}`)
const LINKS = [
  { name: 'loopback' },
  { name: 'link throttled to 50 MB/s', conditions: { latency: 0, downloadThroughput: 50e6, uploadThroughput: 50e6 } },
  { name: 'link throttled to 50 MB/s, 40 ms latency', conditions: { latency: 40, downloadThroughput: 50e6, uploadThroughput: 50e6 } },
]

const work = await mkdtemp(path.join(tmpdir(), 'ferry-bench-parallel-'))
const cleanups = [() => rm(work, { recursive: true, force: true })]
try {
  progress(`writing a ${size / MIB} MiB random file`)
  const source = await writeRandomFile(path.join(work, 'source.bin'), size)
  const { ferry, stockTus, pageServer, browser } = await startUploadBench(work, cleanups)

  console.log('# One file as parallel partial uploads (tus concatenation), Ferry SDK → Ferry server\n')
  console.log(`file ${size / MIB} MiB, file-backed; PATCHes of 8 MiB; ${rounds} rounds, alternated, order reversed each round.`)
  const chosen = new Set(values.links.split(',').map(Number))
  for (const [index, link] of LINKS.entries()) {
    if (!chosen.has(index + 1)) continue
    const page = await openPageOnLink(browser, link.conditions)
    page.on('crash', () => console.error('page crashed'))
    page.on('pageerror', (error) => console.error(`page error: ${error.stack}`))
    await page.goto(pageServer.origin)
    await page.setInputFiles('#picker', source.file)
    const uploadIn = (parallelUploads) => async () => {
      const result = await page.evaluate(ferryUpload, { endpoint: `${ferry.origin}/files/`, chunkSize, parallelUploads })
      if (result.error) throw new Error(`${parallelUploads} partial uploads: ${result.error}`)
      if (result.sha256 !== source.sha256 || result.state !== 'verified') {
        throw new Error(`${parallelUploads} partial uploads: stored ${result.sha256} (${result.state})`)
      }
      const deleted = await fetch(result.url, { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0' } })
      if (deleted.status !== 204) throw new Error(`DELETE answered ${deleted.status}`)
      return size / 1e6 / result.seconds
    }
    // The baseline, one upload, goes last in the table.
    const stock = async () => {
      const result = await page.evaluate(stockTusUpload, { endpoint: `${stockTus.origin}/files`, chunkSize })
      if (result.error) throw new Error(`stock tus-js-client: ${result.error}`)
      return size / 1e6 / result.seconds
    }
    const contenders = [
      { name: 'reference: stock tus-js-client → stock @tus/server, one stream, no hashing', run: stock },
      ...[...counts].sort((a, b) => b - a).map((count) => ({
        name: count === 1 ? 'one upload (the default)' : `${count} partial uploads, then concatenated`,
        run: uploadIn(count),
      })),
    ]
    const samples = new Map(contenders.map(({ name }) => [name, []]))
    for (let round = 0; round < rounds; round++) {
      progress(`${link.name}: round ${round + 1} of ${rounds}`)
      for (const { name, run } of round % 2 === 0 ? contenders : [...contenders].reverse()) {
        const mbPerSecond = await run()
        samples.get(name).push(mbPerSecond)
        progress(`${name}: ${mbPerSecond.toFixed(0)} MB/s`)
      }
    }
    await page.close()
    printTable(
      `## ${index + 1}. ${size / MIB} MiB, ${link.name}, median of ${rounds} (ratios to one upload)`,
      contenders.map(({ name }) => ({ name, mbPerSecond: median(samples.get(name)), samples: samples.get(name) })),
    )
  }
} finally {
  while (cleanups.length > 0) await cleanups.pop()().catch((error) => console.error(`cleanup: ${error.message}`))
}
