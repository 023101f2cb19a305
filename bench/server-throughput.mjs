// Server upload throughput on loopback: Ferry's tus endpoint (8 MiB PATCH chunks, digest checked at
// the end) against the plain peer on the same machine in the same run: a minimal Node server that
// streams a PUT to disk (and stock @tus/server + @tus/file-store, for what the protocol's requests
// cost), and a plain S3 PutObject to the same S3 server (and stock @tus/server + @tus/s3-store over
// HTTP). On S3 also Ferry's store and stock @tus/s3-store driven directly, without HTTP (what the
// store alone costs). And the Ferry
// server's peak resident memory above its idle size during each contender's uploads (< 64 MiB).
//
//   node bench/server-throughput.mjs [--size-mib 256] [--rounds 3] [--stores disk,s3] [--ferry-main server/dist/main.js]
//   node bench/server-throughput.mjs --size-mib 4096 --rounds 1 --stores s3 --store-alone no   # 4 GiB memory
//   node bench/server-throughput.mjs --stores disk --ferry-baseline ../old/server/dist/main.js   # A/B two builds
import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { S3 } from '@aws-sdk/client-s3'
import { S3Store } from '@tus/s3-store'
import { writeRandomFile } from './lib/files.mjs'
import { send } from './lib/httpClient.mjs'
import { compare, printTable } from './lib/measure.mjs'
import { residentBytes, startPeerServer } from './lib/processes.mjs'
import { printResidentGrowth, withResidentGrowth } from './lib/residentPeak.mjs'
import { uploadThroughStore } from './lib/storeWrites.mjs'

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '256' },
    rounds: { type: 'string', default: '3' },
    stores: { type: 'string', default: 'disk,s3' },
    // Another build of the server, to compare two versions on the same machine.
    'ferry-main': { type: 'string', default: 'server/dist/main.js' },
    // A second build run beside it on disk (8 MiB PATCHes), alternated in the same rounds.
    'ferry-baseline': { type: 'string' },
    // `no` leaves out the S3 stores driven without HTTP (saves time on 4 GiB).
    'store-alone': { type: 'string', default: 'yes' },
  },
})
const size = Number(values['size-mib']) * 1024 * 1024
const rounds = Number(values.rounds)
const stores = values.stores.split(',')
const MIB = 1024 * 1024
// The servers and this script share Node 20; the AWS SDK's notice about Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= '1'
const RSS_LIMIT_MIB = 64
const root = fileURLToPath(new URL('..', import.meta.url))
const work = await mkdtemp(path.join(tmpdir(), 'ferry-bench-'))

const source = path.join(work, 'source.bin')
const digest = Buffer.from((await writeRandomFile(source, size)).sha256, 'hex')

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function startFerry(env, main = values['ferry-main']) {
  const port = await freePort()
  const child = spawn(process.execPath, [path.resolve(root, main)], {
    env: { ...process.env, ...env, PORT: String(port), FERRY_LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  })
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`ferry server ${main} exited with ${child.exitCode}`)
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break
    } catch {}
    if (attempt === 100) throw new Error(`ferry server ${main} did not answer /healthz within 10 s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  // Idle size once it answers, before any upload: the baseline for its memory growth.
  return {
    url: `http://127.0.0.1:${port}/files/`,
    pid: child.pid,
    idleBytes: residentBytes(child.pid),
    stop: () => child.kill('SIGTERM'),
  }
}

async function tusUpload(endpoint, chunkSize) {
  const created = await send(endpoint, {
    method: 'POST',
    headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(size) },
  })
  const url = new URL(created.headers.location, endpoint).href
  for (let offset = 0; offset < size; offset += chunkSize) {
    const end = Math.min(offset + chunkSize, size)
    const response = await send(url, {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': String(offset),
        'Content-Type': 'application/offset+octet-stream',
        'Content-Length': String(end - offset),
        ...(end === size ? { 'Repr-Digest': `sha-256=:${digest.toString('base64')}:` } : {}),
      },
      body: createReadStream(source, { start: offset, end: end - 1 }),
    })
    if (!response.ok) throw new Error(`PATCH ${response.status}: ${response.text}`)
  }
}

if (stores.includes('disk')) {
  const dataDir = path.join(work, 'ferry-data')
  const ferry = await startFerry({ FERRY_STORE: 'disk', FERRY_DATA_DIR: dataDir })
  // The server's hashing cost, visible: the same server reading each finished upload again instead.
  const rereading = await startFerry({ FERRY_STORE: 'disk', FERRY_DATA_DIR: `${dataDir}-reread`, FERRY_SERVER_HASH: 'reread' })
  const baseline = values['ferry-baseline']
    ? await startFerry({ FERRY_STORE: 'disk', FERRY_DATA_DIR: `${dataDir}-baseline` }, values['ferry-baseline'])
    : undefined
  // The peers run in processes of their own, as the Ferry server does.
  const plainDir = path.join(work, 'plain')
  const stockDir = path.join(work, 'stock-tus')
  await Promise.all([mkdir(plainDir, { recursive: true }), mkdir(stockDir, { recursive: true })])
  const plain = await startPeerServer('put', plainDir)
  const stockTus = await startPeerServer('tus', stockDir)
  let counter = 0
  const ferryRuns = withResidentGrowth(
    [
      { name: 'Ferry, disk store, 8 MiB PATCHes + SHA-256 check', run: () => tusUpload(ferry.url, 8 * MIB) },
      { name: 'Ferry, disk store, one PATCH + SHA-256 check', run: () => tusUpload(ferry.url, size) },
    ],
    ferry.pid,
    ferry.idleBytes,
  )
  const baselineRuns = baseline
    ? withResidentGrowth(
        [{ name: `Ferry baseline build (${values['ferry-baseline']}), disk store, 8 MiB PATCHes + SHA-256 check`, run: () => tusUpload(baseline.url, 8 * MIB) }],
        baseline.pid,
        baseline.idleBytes,
      )
    : { contenders: [], growth: new Map() }
  const rereadRuns = withResidentGrowth(
    [
      {
        name: 'Ferry, disk store, 8 MiB PATCHes, SHA-256 by re-reading (FERRY_SERVER_HASH=reread)',
        run: () => tusUpload(rereading.url, 8 * MIB),
      },
    ],
    rereading.pid,
    rereading.idleBytes,
  )
  const disk = await compare(
    [
      ...ferryRuns.contenders,
      ...baselineRuns.contenders,
      ...rereadRuns.contenders,
      // What the tus protocol costs in 8 MiB requests, without any hash.
      { name: 'stock @tus/server + @tus/file-store, 8 MiB PATCHes, no hash', run: () => tusUpload(`${stockTus.origin}/files/`, 8 * MIB) },
      {
        name: 'plain Node PUT streamed to disk',
        run: async () => {
          const response = await send(`${plain.origin}/${counter++}.bin`, {
            method: 'PUT',
            headers: { 'Content-Length': String(size) },
            body: createReadStream(source),
          })
          if (response.status !== 201) throw new Error(`plain PUT ${response.status}`)
        },
      },
    ],
    { rounds, bytes: size },
  )
  printTable(`Disk, ${size / 1024 / 1024} MiB, median of ${rounds}`, disk)
  printResidentGrowth(
    `Ferry server memory, disk, ${size / MIB} MiB uploads`,
    new Map([...ferryRuns.growth, ...baselineRuns.growth, ...rereadRuns.growth]),
    RSS_LIMIT_MIB,
  )
  ferry.stop()
  baseline?.stop()
  rereading.stop()
  await Promise.all([plain.stop(), stockTus.stop()])
}

if (stores.includes('s3')) {
  const start = spawn('bash', [path.join(root, 'scripts/s3/start.sh'), path.join(work, 's3')], {
    env: {
      ...process.env,
      FERRY_S3_PORT: '8390',
      FERRY_S3_MEMCACHED_PORT: '11390',
      FERRY_S3_ACCOUNT_PORT: '6292',
      FERRY_S3_CONTAINER_PORT: '6291',
      FERRY_S3_OBJECT_PORT: '6290',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  await new Promise((resolve, reject) =>
    start.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`s3 start: exit ${code}`)))),
  )
  const endpoint = 'http://127.0.0.1:8390'
  const clientConfig = {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test:tester', secretAccessKey: 'testing' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  }
  const client = new S3(clientConfig)
  await client.createBucket({ Bucket: 'bench' })
  const s3Env = {
    FERRY_STORE: 's3',
    FERRY_S3_BUCKET: 'bench',
    FERRY_S3_ENDPOINT: endpoint,
    FERRY_S3_ACCESS_KEY_ID: 'test:tester',
    FERRY_S3_SECRET_ACCESS_KEY: 'testing',
  }
  const ferry = await startFerry(s3Env)
  // What the SHA-256 and the promotion copy cost: the same server without each.
  const rereading = await startFerry({ ...s3Env, FERRY_SERVER_HASH: 'reread' })
  const unpromoted = await startFerry({ ...s3Env, FERRY_PROMOTE: 'false' })
  // The stock server over HTTP, in a process of its own like the Ferry server: the anchor.
  const storeConfig = { bucket: 'bench', ...clientConfig }
  const stockTus = await startPeerServer('tus-s3', JSON.stringify({ partSize: 8 * MIB, s3ClientConfig: storeConfig }))
  let counter = 0
  const ferryRuns = withResidentGrowth(
    [
      { name: 'Ferry, S3 store, 8 MiB PATCHes + SHA-256 check', run: () => tusUpload(ferry.url, 8 * MIB) },
      { name: 'Ferry, S3 store, one PATCH + SHA-256 check', run: () => tusUpload(ferry.url, size) },
    ],
    ferry.pid,
    ferry.idleBytes,
  )
  const variantRuns = [
    withResidentGrowth(
      [
        {
          name: 'Ferry, S3 store, 8 MiB PATCHes, SHA-256 by re-reading (FERRY_SERVER_HASH=reread)',
          run: () => tusUpload(rereading.url, 8 * MIB),
        },
      ],
      rereading.pid,
      rereading.idleBytes,
    ),
    withResidentGrowth(
      [
        {
          name: 'Ferry, S3 store, 8 MiB PATCHes, no promotion copy (FERRY_PROMOTE=false)',
          run: () => tusUpload(unpromoted.url, 8 * MIB),
        },
        {
          name: 'Ferry, S3 store, one PATCH, no promotion copy (FERRY_PROMOTE=false)',
          run: () => tusUpload(unpromoted.url, size),
        },
      ],
      unpromoted.pid,
      unpromoted.idleBytes,
    ),
  ]
  // The stores alone, as @tus/server drives them, without HTTP: what the store costs by itself.
  const { createS3Backend } = await import(
    path.join(path.dirname(path.resolve(root, values['ferry-main'])), 'storage/s3Backend.js')
  )
  const ferryStore = (rememberProgress) =>
    createS3Backend({ ...storeConfig, ...storeConfig.credentials, partSize: 8 * MIB, rememberProgress }).datastore
  const oneInstance = ferryStore(true)
  const severalInstances = ferryStore(false)
  const stockStore = new S3Store({ partSize: 8 * MIB, useTags: false, s3ClientConfig: storeConfig })
  const storesAlone =
    values['store-alone'] === 'yes'
      ? [
          {
            name: 'Ferry S3 store alone (no HTTP, no hash), 8 MiB writes, one instance',
            run: () => uploadThroughStore(oneInstance, source, size, 8 * MIB),
          },
          {
            name: 'Ferry S3 store alone (no HTTP, no hash), 8 MiB writes, several instances',
            run: () => uploadThroughStore(severalInstances, source, size, 8 * MIB),
          },
          {
            name: 'stock @tus/s3-store alone (no HTTP, no hash), 8 MiB writes',
            run: () => uploadThroughStore(stockStore, source, size, 8 * MIB),
          },
        ]
      : []
  const s3 = await compare(
    [
      ...ferryRuns.contenders,
      ...variantRuns.flatMap((variant) => variant.contenders),
      ...storesAlone,
      { name: 'stock @tus/server + @tus/s3-store, 8 MiB PATCHes, no hash', run: () => tusUpload(`${stockTus.origin}/files/`, 8 * MIB) },
      // tus-js-client's default (one PATCH), which the anchor most likely used.
      { name: 'stock @tus/server + @tus/s3-store, one PATCH, no hash', run: () => tusUpload(`${stockTus.origin}/files/`, size) },
      {
        name: 'plain PutObject of the same file',
        run: () =>
          client.putObject({
            Bucket: 'bench',
            Key: `plain-${counter++}`,
            Body: createReadStream(source),
            ContentLength: size,
          }),
      },
    ],
    { rounds, bytes: size },
  )
  printTable(`S3 (local OpenStack Swift), ${size / 1024 / 1024} MiB, median of ${rounds}`, s3)
  printResidentGrowth(
    `Ferry server memory, S3, ${size / MIB} MiB uploads`,
    new Map([ferryRuns, ...variantRuns].flatMap((runs) => [...runs.growth])),
    RSS_LIMIT_MIB,
  )
  for (const server of [ferry, rereading, unpromoted]) server.stop()
  await stockTus.stop()
  const stop = spawn('bash', [path.join(root, 'scripts/s3/stop.sh'), path.join(work, 's3')], { stdio: 'ignore' })
  await new Promise((resolve) => stop.on('exit', resolve))
}

await rm(work, { recursive: true, force: true }).catch(() => {})
