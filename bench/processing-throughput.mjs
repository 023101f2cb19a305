// Thumbnails (150, 300 and 600 px) per second for 12-megapixel JPEGs: through Ferry's pipeline
// (embedded queue, job runner, disk store, manifest documents) against bare sharp calls on the
// same images in the same run, with the same parallelism (3, the seed's thumbnail concurrency).
//
//   node bench/processing-throughput.mjs [--images 6] [--rounds 5]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import sharp from 'sharp'
import { createJobRunner } from '../server/dist/processing/createJobRunner.js'
import { ManifestStore } from '../server/dist/processing/manifest/ManifestStore.js'
import { defaultProcessingPolicy } from '../server/dist/processing/ProcessingPolicy.js'
import { createEmbeddedQueue } from '../server/dist/processing/queue/index.js'
import { createDiskBackend } from '../server/dist/storage/diskBackend.js'
import { median } from './lib/measure.mjs'

const { values } = parseArgs({
  options: { images: { type: 'string', default: '6' }, rounds: { type: 'string', default: '5' } },
})
const imageCount = Number(values.images)
const rounds = Number(values.rounds)
const sizes = [150, 300, 600]
const parallelism = Number(process.env.BENCH_PARALLELISM ?? 3)

console.log(`generating ${imageCount} 12-megapixel JPEGs (4000x3000)…`)
const images = []
for (let index = 0; index < imageCount; index++) {
  const noise = { type: 'gaussian', mean: 128, sigma: 30 + index }
  images.push(
    await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#808080', noise } })
      .jpeg({ quality: 90 })
      .toBuffer(),
  )
}

async function inPool(items, work) {
  let next = 0
  await Promise.all(
    Array.from({ length: parallelism }, async () => {
      while (next < items.length) await work(items[next++])
    }),
  )
}

async function bareSharp() {
  await inPool(images, async (image) => {
    for (const size of sizes) {
      await sharp(image, { autoOrient: true }).resize({ width: size, height: size, fit: 'cover' }).jpeg({ quality: 85, progressive: true, mozjpeg: true }).toBuffer()
    }
  })
}

const directory = await mkdtemp(path.join(tmpdir(), 'ferry-bench-processing-'))
const backend = createDiskBackend({ directory })
await backend.prepare()
const manifests = new ManifestStore(backend.documents)
const policy = { ...defaultProcessingPolicy, thumbnailSizes: sizes }
const logger = pino({ level: 'silent' })
const ids = []
for (const [index, image] of images.entries()) {
  const id = `bench${index}`
  await backend.objects.write(backend.keyOf(id), image, { contentType: 'image/jpeg' })
  await backend.records.put({ id, key: backend.keyOf(id), size: image.length, sha256: '', type: 'image/jpeg', name: `${id}.jpg`, state: 'verified', finishedAt: new Date().toISOString() })
  ids.push(id)
}

async function pipeline(round) {
  const queue = createEmbeddedQueue({ concurrency: { ...defaultConcurrency(), thumbnails: parallelism } })
  await queue.consume(createJobRunner({ backend, manifests, policy, attempts: 3, logger }))
  let remaining = ids.length
  const done = new Promise((resolve, reject) =>
    queue.subscribe((event) => {
      if (event.type === 'failed') reject(new Error(event.error))
      if (event.type === 'completed' && --remaining === 0) resolve()
    }),
  )
  for (const id of ids) {
    await manifests.createPlan({ fileId: id, key: backend.keyOf(id), type: 'image/jpeg', createdAt: new Date().toISOString(), jobs: ['thumbnails'] })
    await queue.add({ id: `${id}:thumbnails:${round}`, fileId: id, type: 'thumbnails', options: {} })
  }
  await done
  await queue.close()
}

function defaultConcurrency() {
  return { compress: 5, thumbnails: 3, watermark: 2, convert: 3, metadata: 5, gzip: 3 }
}

const samples = { pipeline: [], bare: [] }
await bareSharp() // warm up libvips and the JPEG codecs once
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ['pipeline', 'bare'] : ['bare', 'pipeline']
  for (const name of order) {
    const started = performance.now()
    if (name === 'pipeline') await pipeline(round)
    else await bareSharp()
    const seconds = (performance.now() - started) / 1000
    samples[name].push((imageCount * sizes.length) / seconds)
  }
}
await rm(directory, { recursive: true, force: true })

const pipelineRate = median(samples.pipeline)
const bareRate = median(samples.bare)
console.log(`\nThumbnails of 12-megapixel JPEGs (3 sizes each, ${imageCount} images, parallelism ${parallelism}, median of ${rounds})`)
console.log('| contender | thumbnails/s (median) | runs | ratio to bare sharp |')
console.log('| --- | ---: | --- | ---: |')
console.log(`| Ferry pipeline (queue + runner + disk store + manifest) | ${pipelineRate.toFixed(2)} | ${samples.pipeline.map((v) => v.toFixed(2)).join(', ')} | ${(pipelineRate / bareRate).toFixed(2)}× |`)
console.log(`| bare sharp calls | ${bareRate.toFixed(2)} | ${samples.bare.map((v) => v.toFixed(2)).join(', ')} | 1.00× |`)
