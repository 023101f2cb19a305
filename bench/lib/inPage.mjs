// What bench/sdk-browser.mjs runs inside the page, one self-contained function per contender (each
// is serialised by page.evaluate, so it may use only its argument and the page's globals: `Ferry`,
// `tus`, `hashwasm`). Every function times itself with performance.now() and resolves with
// `{ seconds, ... }` or `{ error }`; the file is the one chosen in `#picker` (see pageServer.mjs).

/** The SDK's WorkerHasher on the chosen (file-backed) File. */
/**
 * `WorkerHasher().digest(file)`, timed from the hasher's creation. With `prepared`, its workers are
 * started ahead (`prepare()`, as an upload does before it asks the server) and only the digest is
 * timed.
 */
export async function sdkDigest({ prepared = false } = {}) {
  const file = document.getElementById('picker').files[0]
  // Unprepared is a cold start: the pair of workers a previous digest left idle stops after 2 s
  // (the SDK's IDLE_PAIR_MS), so this one starts its own, as the first file of a page does.
  if (!prepared) await new Promise((resolve) => setTimeout(resolve, 2500))
  let started = performance.now()
  const hasher = new Ferry.WorkerHasher()
  if (prepared) {
    hasher.prepare()
    await new Promise((resolve) => setTimeout(resolve, 300))
    started = performance.now()
  }
  const digest = await hasher.digest(file)
  const seconds = (performance.now() - started) / 1000
  return { seconds, sha256: Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('') }
}

/**
 * Random in-memory ArrayBuffers of `bufferSize` bytes totalling `size`, kept in `window` for
 * `rawHashWasm`. getRandomValues fills at most 64 KiB per call. Checks hash-wasm against WebCrypto
 * on the first buffer, so the raw contender is known to hash correctly.
 */
export async function prepareBuffers({ size, bufferSize }) {
  const buffers = []
  for (let offset = 0; offset < size; offset += bufferSize) {
    const buffer = new Uint8Array(Math.min(bufferSize, size - offset))
    for (let piece = 0; piece < buffer.length; piece += 65536) {
      crypto.getRandomValues(buffer.subarray(piece, piece + 65536))
    }
    buffers.push(buffer)
  }
  window.benchBuffers = buffers
  const webCrypto = new Uint8Array(await crypto.subtle.digest('SHA-256', buffers[0]))
  const hex = Array.from(webCrypto, (byte) => byte.toString(16).padStart(2, '0')).join('')
  return { agrees: hex === (await hashwasm.sha256(buffers[0])) }
}

/** hash-wasm's incremental SHA-256 over the prepared buffers, on the page's main thread. */
export async function rawHashWasm() {
  const started = performance.now()
  const sha256 = await hashwasm.createSHA256()
  sha256.init()
  for (const buffer of window.benchBuffers) sha256.update(buffer)
  const hex = sha256.digest('hex')
  return { seconds: (performance.now() - started) / 1000, sha256: hex }
}

/**
 * A Ferry SDK upload with hashing on. Also reports when the hash was ready and when the last byte
 * was sent (seconds from the start), and with `heapSampleMs` samples
 * `performance.memory.usedJSHeapSize` (precise with --enable-precise-memory-info) meanwhile.
 */
export async function ferryUpload({ endpoint, chunkSize, heapSampleMs, knownSha256, chunkChecksums = true, rereadChunks, parallelUploads = 1 }) {
  const file = document.getElementById('picker').files[0]
  const heap = []
  const sampler = heapSampleMs
    ? setInterval(() => heap.push(performance.memory.usedJSHeapSize), heapSampleMs)
    : undefined
  const started = performance.now()
  const since = () => (performance.now() - started) / 1000
  const timeline = {}
  // `knownSha256` (phase breakdown only): a hasher that already knows the digest, so the run
  // shows the upload's own cost without the whole-file hash.
  // `rereadChunks` (phase breakdown only): the WorkerHasher without its chunk digests, so each
  // chunk is read again on the main thread for its Upload-Checksum, as before the worker did both.
  const worker = new Ferry.WorkerHasher()
  const hasher = knownSha256
    ? { digest: async () => new Uint8Array(knownSha256.match(/../g).map((byte) => Number.parseInt(byte, 16))) }
    : rereadChunks
      ? { digest: (blob, { chunkDigests, ...options }) => worker.digest(blob, options) }
      : undefined
  const upload = new Ferry.FerryUpload(file, { endpoint, chunkSize, followProcessing: false, hasher, chunkChecksums, parallelUploads })
  upload.on('hash-progress', ({ bytesHashed, bytesTotal }) => {
    if (bytesHashed === bytesTotal) timeline.hashed ??= since()
  })
  upload.on('progress', ({ bytesUploaded, bytesTotal }) => {
    if (bytesUploaded === bytesTotal) timeline.sent ??= since()
  })
  try {
    const stored = await upload.start()
    const seconds = since()
    const { sha256, size, state } = stored
    return { seconds, timeline, url: upload.url, sha256, size, state, heap }
  } catch (error) {
    return { error: `${error.code}: ${error.message}` }
  } finally {
    clearInterval(sampler)
  }
}

/**
 * Stock tus-js-client (its browser build), no hashing. With `reprDigest` (phase breakdown only,
 * for the Ferry server, which requires it) that header goes on the PATCH that completes the upload.
 * With `beside` (phase breakdown only), work runs in the page's Workers during the upload:
 * `'hash'`, the SDK's `WorkerHasher` on the same File (its digest is returned as `besideSha256`),
 * or `{ spinSeconds }`, one Worker that only keeps a core busy that long.
 */
export async function stockTusUpload({ endpoint, chunkSize, reprDigest, beside }) {
  const file = document.getElementById('picker').files[0]
  const started = performance.now()
  let besideDone = Promise.resolve(undefined)
  if (beside === 'hash') {
    besideDone = new Ferry.WorkerHasher()
      .digest(file)
      .then((digest) => Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join(''))
  } else if (beside?.spinSeconds) {
    const spin = 'onmessage = (e) => { const end = performance.now() + e.data; let n = 0; while (performance.now() < end) n++; postMessage(n) }'
    const url = URL.createObjectURL(new Blob([spin], { type: 'text/javascript' }))
    const worker = new Worker(url)
    besideDone = new Promise((resolve) => {
      worker.onmessage = () => {
        worker.terminate()
        URL.revokeObjectURL(url)
        resolve(undefined)
      }
    })
    worker.postMessage(beside.spinSeconds * 1000)
  }
  const result = await new Promise((resolve) => {
    const upload = new tus.Upload(file, {
      endpoint,
      chunkSize,
      metadata: { filename: file.name, filetype: file.type },
      onBeforeRequest: (request) => {
        const offset = Number(request.getHeader('Upload-Offset'))
        if (reprDigest && request.getMethod() === 'PATCH' && offset + chunkSize >= file.size) {
          request.setHeader('Repr-Digest', reprDigest)
        }
      },
      onError: (error) => resolve({ error: String(error) }),
      onSuccess: () => resolve({ seconds: (performance.now() - started) / 1000, url: upload.url }),
    })
    upload.start()
  })
  return { ...result, besideSha256: await besideDone }
}

/** One plain `fetch` PUT with the File as its body. */
export async function plainPut({ url }) {
  const file = document.getElementById('picker').files[0]
  const started = performance.now()
  try {
    const response = await fetch(url, { method: 'PUT', body: file })
    await response.arrayBuffer()
    if (response.status !== 201) return { error: `PUT answered ${response.status}` }
    return { seconds: (performance.now() - started) / 1000 }
  } catch (error) {
    return { error: String(error) }
  }
}
