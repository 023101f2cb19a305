// Why the SDK sends chunks as slices of the File rather than as bytes it has read: the same
// sequential 8 MiB PUTs from Chromium, with fetch and with XMLHttpRequest, each body either a
// `file.slice()` (Chromium's network service reads the file itself) or that slice read into an
// in-memory Uint8Array first (what reading each byte once, for the hash and the upload, would
// need). Contenders alternated, order reversed each round; the stored chunks are SHA-256-checked.
//
//   node bench/request-bodies.mjs [--size-mib 128] [--rounds 3]
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { writeRandomFile } from './lib/files.mjs'
import { compare, printTable } from './lib/measure.mjs'
import { startPageServer } from './lib/pageServer.mjs'
import { startPeerServer } from './lib/processes.mjs'

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '128' },
    rounds: { type: 'string', default: '3' },
  },
})
const MIB = 1024 * 1024
const size = Math.round(Number(values['size-mib']) * MIB)
const rounds = Number(values.rounds)
const chunkSize = 8 * MIB

/** In the page: the chosen file as sequential PUTs of one chunk each, to `${base}-${index}`; seconds. */
async function putChunks({ base, chunkSize, api, body }) {
  const file = document.getElementById('picker').files[0]
  const started = performance.now()
  const send = (url, payload) =>
    api === 'fetch'
      ? fetch(url, { method: 'PUT', body: payload }).then((response) => response.status)
      : new Promise((resolve, reject) => {
          const request = new XMLHttpRequest()
          request.open('PUT', url)
          request.upload.onprogress = () => {} // as tus-js-client listens, which it needs for progress
          request.onload = () => resolve(request.status)
          request.onerror = () => reject(new Error(`PUT ${url} failed`))
          request.send(payload)
        })
  for (let index = 0, offset = 0; offset < file.size; index++, offset += chunkSize) {
    const slice = file.slice(offset, offset + chunkSize)
    const payload = body === 'memory' ? new Uint8Array(await slice.arrayBuffer()) : slice
    const status = await send(`${base}-${index}`, payload)
    if (status !== 201) throw new Error(`PUT of chunk ${index} answered ${status}`)
  }
  return (performance.now() - started) / 1000
}

async function sha256OfChunks(directory, name, count) {
  const hash = createHash('sha256')
  for (let index = 0; index < count; index++) {
    for await (const piece of createReadStream(path.join(directory, `${name}-${index}`))) hash.update(piece)
  }
  return hash.digest('hex')
}

const work = await mkdtemp(path.join(tmpdir(), 'ferry-bench-bodies-'))
const stored = path.join(work, 'stored')
await mkdir(stored)
const source = await writeRandomFile(path.join(work, 'source.bin'), size)
const put = await startPeerServer('put', stored)
const pageServer = await startPageServer()
const context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
  executablePath: process.env.FERRY_CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
})
try {
  const page = await context.newPage()
  await page.goto(pageServer.origin)
  await page.setInputFiles('#picker', source.file)
  const chunks = Math.ceil(size / chunkSize)
  let runs = 0
  const contender = (api, body, name) => ({
    name,
    run: async () => {
      const base = `run${runs++}`
      const seconds = await page.evaluate(putChunks, { base: `${put.origin}/${base}`, chunkSize, api, body })
      const sha256 = await sha256OfChunks(stored, base, chunks)
      if (sha256 !== source.sha256) throw new Error(`${name}: stored chunks hash to ${sha256}, not ${source.sha256}`)
      await rm(stored, { recursive: true })
      await mkdir(stored)
      return seconds
    },
  })
  console.log(`# Request bodies in Chromium: File slices or bytes in memory\n`)
  console.log(`Chromium ${(await context.browser()?.version()) ?? '(version unknown)'}, ${availableParallelism()} CPUs; ${size / MIB} MiB file-backed File in ${chunks} sequential PUTs of ${chunkSize / MIB} MiB to a Node server on loopback; ${rounds} rounds.`)
  const results = await compare(
    [
      contender('fetch', 'memory', '`fetch`, body read into a Uint8Array first'),
      contender('xhr', 'memory', '`XMLHttpRequest`, body read into a Uint8Array first'),
      contender('xhr', 'slice', '`XMLHttpRequest`, body a `file.slice()` (tus-js-client, the SDK)'),
      contender('fetch', 'slice', '`fetch`, body a `file.slice()`'),
    ],
    { rounds, bytes: size },
  )
  printTable(`## ${size / MIB} MiB in ${chunkSize / MIB} MiB PUTs, median of ${rounds} (ratios to fetch of slices)`, results)
} finally {
  await context.close()
  await pageServer.close()
  await put.stop()
  await rm(work, { recursive: true, force: true })
}
