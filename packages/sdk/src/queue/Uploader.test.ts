import type { FileDescription } from '@ferry/protocol'
import { describe, expect, it, vi } from 'vitest'
import { FerryError } from '../errors.js'
import { Emitter } from '../events/Emitter.js'
import type { UploadEvents, UploadOptions, UploadState } from '../upload/FerryUpload.js'
import type { QueueableUpload } from './types.js'
import { Uploader } from './Uploader.js'
import type { UploaderOptions } from './uploaderOptions.js'

// The hash worker's source is made by the rollup build; these tests reach `FerryUpload` only
// through the default `createUpload`, which they replace, so an empty source will do.
vi.mock('ferry:hash-worker-source', () => ({ default: '' }))

const SENDING = new Set<UploadState>(['uploading', 'retrying', 'hashing', 'verifying'])

/**
 * A scripted fake of `FerryUpload` for the `createUpload` seam: it moves only when the test says
 * so, and emits in the order the real one does (the outcome's state, then `success`/`error`).
 */
class FakeUpload extends Emitter<UploadEvents> implements QueueableUpload {
  state: UploadState = 'idle'
  url: string | null = null
  starts = 0
  terminated = false
  readonly name: string
  readonly #harness: Harness

  constructor(
    readonly file: Blob,
    readonly options: UploadOptions,
    harness: Harness,
  ) {
    super()
    this.name = (file as File).name
    this.#harness = harness
  }

  async start(): Promise<FileDescription> {
    this.starts += 1
    this.url ??= `/files/${this.name}`
    this.moveTo('uploading')
    this.#harness.onStart(this)
    return new Promise<FileDescription>(() => {})
  }

  async pause(): Promise<void> {
    if (this.state === 'uploading' || this.state === 'retrying') this.moveTo('paused')
  }

  async cancel(): Promise<void> {
    if (this.state === 'done' || this.state === 'failed' || this.state === 'cancelled') return
    this.terminated = true
    this.moveTo('cancelled')
  }

  report(bytesUploaded: number): void {
    this.emit('progress', { bytesUploaded, bytesTotal: this.file.size, speed: 0, eta: undefined })
  }

  /** Stored; with `processing`, the server still works on it until `moveTo('done')`. */
  succeed({ processing = false } = {}): void {
    this.report(this.file.size)
    this.moveTo(processing ? 'processing' : 'done')
    const { name, file } = this
    const stored = { id: name, url: `/files/${name}`, key: name, size: file.size, name }
    this.emit('success', { ...stored, sha256: '', type: '', state: 'verified', processing: 'none' })
  }

  fail(): void {
    this.moveTo('failed')
    this.emit('error', new FerryError(`${this.name} failed`, { code: 'http', status: 500 }))
  }

  /** Any state change, including those the real upload makes by itself (offline, back online). */
  moveTo(state: UploadState): void {
    const was = SENDING.has(this.state)
    this.state = state
    this.#harness.sending += Number(SENDING.has(state)) - Number(was)
    this.#harness.maxSending = Math.max(this.#harness.maxSending, this.#harness.sending)
    this.emit('state', state)
  }
}

interface Harness {
  sending: number
  maxSending: number
  onStart: (fake: FakeUpload) => void
}

function setup(options: Partial<UploaderOptions> = {}, onStart = (_fake: FakeUpload) => {}) {
  const harness: Harness = { sending: 0, maxSending: 0, onStart }
  const fakes = new Map<string, FakeUpload>()
  const uploader = new Uploader({
    endpoint: '/files/',
    createUpload: (file, uploadOptions) => {
      const fake = new FakeUpload(file, uploadOptions, harness)
      fakes.set(fake.name, fake)
      return fake
    },
    ...options,
  })
  const fake = (name: string) => {
    const found = fakes.get(name)
    if (!found) throw new Error(`${name} has not started`)
    return found
  }
  return { uploader, harness, fakes, fake }
}

const file = (name: string, size = 100) => new File([new Uint8Array(size)], name)
const files = (...names: string[]) => names.map((name) => file(name))
const settle = () => new Promise((resolve) => setTimeout(resolve, 5))
const started = (fakes: Map<string, FakeUpload>) => [...fakes.keys()]

describe('Uploader', () => {
  it('never has more than `concurrency` files sending at once', async () => {
    const { uploader, harness } = setup({ concurrency: 3 }, (fake) => {
      setTimeout(() => fake.report(50), 1 + Math.random() * 4)
      setTimeout(() => fake.succeed(), 5 + Math.random() * 10)
    })
    let active = 0
    let maxActive = 0
    uploader.on('file-state', () => {
      active = uploader.files.filter((entry) => SENDING.has(entry.state as UploadState)).length
      maxActive = Math.max(maxActive, active)
    })
    uploader.add(Array.from({ length: 20 }, (_, index) => file(`f${index}`)))
    const result = await uploader.done()
    expect(result.succeeded).toHaveLength(20)
    expect(harness.maxSending).toBe(3)
    expect(maxActive).toBe(3)
  })

  it('starts higher priorities first, and files of one priority in the order added', async () => {
    const { uploader, fakes } = setup({ concurrency: 1, autoStart: false }, (fake) => {
      queueMicrotask(() => fake.succeed())
    })
    uploader.add([file('a')])
    uploader.add([file('b')], { priority: 5 })
    uploader.add([file('c')], { priority: 1 })
    uploader.add([file('d'), file('e')], { priority: 5 })
    await settle()
    expect(uploader.files.map((entry) => entry.state)).toEqual(Array(5).fill('queued'))
    expect(fakes.size).toBe(0)
    uploader.start()
    await uploader.done()
    expect(started(fakes)).toEqual(['b', 'd', 'e', 'c', 'a'])
  })

  it('setPriority moves a waiting file ahead of the others', async () => {
    const { uploader, fakes, fake } = setup({ concurrency: 1 })
    const [, , last] = uploader.add(files('a', 'b', 'c'))
    await settle()
    last?.setPriority(10)
    fake('a').succeed()
    await settle()
    expect(started(fakes)).toEqual(['a', 'c'])
    fake('c').succeed()
    await settle()
    fake('b').succeed()
    const { succeeded } = await uploader.done()
    expect(succeeded.map((entry) => (entry.file as File).name)).toEqual(['a', 'b', 'c'])
  })

  it('pausing one file frees its slot, resuming queues it again', async () => {
    const { uploader, fakes, fake } = setup({ concurrency: 1 })
    const [a, b, c] = uploader.add(files('a', 'b', 'c'))
    await settle()
    c?.pause()
    a?.pause()
    expect(a?.state).toBe('paused')
    expect(fake('a').state).toBe('paused')
    await settle()
    expect(b?.state).toBe('uploading')
    a?.resume()
    expect(a?.state).toBe('queued')
    fake('b').succeed()
    await settle()
    expect(fake('a').starts).toBe(2)
    fake('a').succeed()
    await settle()
    expect(started(fakes)).toEqual(['a', 'b'])
    expect(c?.state).toBe('paused')
    c?.resume()
    await settle()
    fake('c').succeed()
    expect((await uploader.done()).succeeded).toHaveLength(3)
  })

  it('frees the slot of a file processing on the server, and waits for it', async () => {
    const { uploader, fake } = setup({ concurrency: 1 })
    const [a, b] = uploader.add(files('a', 'b'))
    await settle()
    fake('a').succeed({ processing: true })
    expect([a?.state, a?.result?.url]).toEqual(['processing', '/files/a'])
    await settle()
    expect(b?.state).toBe('uploading')
    fake('b').succeed()
    const idle = vi.fn()
    uploader.on('idle', idle)
    await settle()
    expect(idle).not.toHaveBeenCalled()
    fake('a').moveTo('done')
    expect((await uploader.done()).succeeded).toEqual([a, b])
  })

  it('keeps the slot of a file its upload paused by itself, as when offline', async () => {
    const { uploader, fakes, fake } = setup({ concurrency: 1 })
    const [a, b] = uploader.add(files('a', 'b'))
    await settle()
    fake('a').moveTo('paused')
    await settle()
    expect([a?.state, b?.state]).toEqual(['paused', 'queued'])
    expect(started(fakes)).toEqual(['a'])
    fake('a').moveTo('uploading')
    fake('a').succeed()
    await settle()
    expect(b?.state).toBe('uploading')
  })

  it('a file waiting for a slot stays waiting when its upload carries on by itself (back online)', async () => {
    const { uploader, harness, fake } = setup({ concurrency: 1 })
    const [a, b] = uploader.add(files('a', 'b', 'c'))
    await settle()
    // Offline: a's upload pauses itself; the caller pauses a (b takes the slot, and pauses itself
    // too), then resumes a, which waits for the slot.
    fake('a').moveTo('paused')
    a?.pause()
    await settle()
    fake('b').moveTo('paused')
    a?.resume()
    await settle()
    expect([a?.state, b?.state]).toEqual(['queued', 'paused'])
    // Back online, both uploads carry on by themselves: only the one holding the slot may send.
    fake('a').moveTo('uploading')
    fake('b').moveTo('uploading')
    await settle()
    expect([a?.state, b?.state]).toEqual(['queued', 'uploading'])
    expect(fake('a').state).toBe('paused')
    expect(harness.sending).toBe(1)
    fake('b').succeed()
    await settle()
    expect(a?.state).toBe('uploading') // its turn: started again by the queue
  })

  it('done() called from an idle listener after add() waits for the files added there', async () => {
    const { uploader, fake } = setup({ concurrency: 1 })
    uploader.add(files('first'))
    await settle()
    let next: Promise<{ succeeded: unknown[] }> | undefined
    uploader.on('idle', () => {
      if (next) return
      uploader.add(files('second'))
      next = uploader.done()
    })
    fake('first').succeed()
    await settle()
    let settled = false
    void next?.then(() => (settled = true))
    await settle()
    expect(settled).toBe(false)
    fake('second').succeed()
    expect((await next)?.succeeded).toHaveLength(2)
  })

  it('an upload of its own whose pause() settles later still frees the slot and resumes', async () => {
    const { uploader, fakes, fake } = setup({ concurrency: 1 })
    const [a, b] = uploader.add(files('a', 'b'))
    await settle()
    // A createUpload upload that pauses after an await (as a wrapper flushing first would).
    const slow = fake('a')
    const pause = slow.pause.bind(slow)
    slow.pause = async () => {
      await settle()
      await pause()
    }
    a?.pause()
    await settle()
    await settle()
    expect([a?.state, b?.state]).toEqual(['paused', 'uploading'])
    a?.resume()
    expect(a?.state).toBe('queued')
    fake('b').succeed()
    await settle()
    fake('a').succeed()
    expect((await uploader.done()).succeeded).toHaveLength(2)
    expect(started(fakes)).toEqual(['a', 'b'])
  })

  it('pauses and resumes the whole queue', async () => {
    const { uploader, fakes, fake } = setup({ concurrency: 2 })
    const entries = uploader.add(files('a', 'b', 'c', 'd'))
    await settle()
    uploader.pause()
    expect(entries.map((entry) => entry.state)).toEqual(['paused', 'paused', 'queued', 'queued'])
    await settle()
    expect(started(fakes)).toEqual(['a', 'b'])
    uploader.resume()
    await settle()
    expect([fake('a').starts, fake('b').starts]).toEqual([2, 2])
    expect(started(fakes)).toEqual(['a', 'b'])
    for (const name of ['a', 'b']) fake(name).succeed()
    await settle()
    for (const name of ['c', 'd']) fake(name).succeed()
    expect((await uploader.done()).succeeded).toHaveLength(4)
  })

  it('cancels the queue: uploads in flight are terminated, queued ones never start', async () => {
    const { uploader, fakes, fake } = setup({ concurrency: 2 })
    uploader.add(files('a', 'b', 'c', 'd', 'e'))
    await settle()
    await uploader.cancel()
    expect([fake('a').terminated, fake('b').terminated]).toEqual([true, true])
    await settle()
    expect(fakes.size).toBe(2)
    const result = await uploader.done()
    expect(result.cancelled).toEqual(uploader.files)
    expect(result.succeeded).toEqual([])
  })

  it('counts files already queued against maxFiles and refuses before sending', async () => {
    const validation = { maxFiles: 3, maxFileSize: 1000 }
    const { uploader, fakes } = setup({ concurrency: 1, validation })
    const errors: string[] = []
    uploader.on('file-error', ({ error }) => errors.push(error.code))
    const [a] = uploader.add(files('a', 'b'))
    const [big, c, d] = uploader.add([file('big', 5000), file('c'), file('d')])
    await settle()
    expect([big?.state, c?.state, d?.state]).toEqual(['failed', 'queued', 'failed'])
    expect(big?.error?.code).toBe('file-too-large')
    expect(d?.error).toMatchObject({ code: 'too-many-files' })
    expect(d?.error?.message).toContain('limit of 3 files')
    expect(errors).toEqual(['file-too-large', 'too-many-files'])
    await a?.cancel()
    const [e] = uploader.add([file('e')])
    await settle()
    expect(e?.state).toBe('queued')
    expect(started(fakes)).not.toContain('big')
    expect(started(fakes)).not.toContain('d')
  })

  it('keeps aggregate progress by difference: failed files leave the totals', async () => {
    const { uploader, fake } = setup({ concurrency: 2, progressInterval: 0 })
    const events: unknown[] = []
    uploader.on('progress', (progress) => events.push(progress))
    const idle = vi.fn()
    uploader.on('idle', idle)
    uploader.add([file('a', 100), file('b', 300)])
    await settle()
    expect(events.at(-1)).toMatchObject({ bytesUploaded: 0, bytesTotal: 400, filesTotal: 2 })
    fake('a').report(50)
    fake('b').report(150)
    await settle()
    expect(events.at(-1)).toMatchObject({ bytesUploaded: 200, bytesTotal: 400, filesDone: 0 })
    fake('a').fail()
    await settle()
    expect(events.at(-1)).toMatchObject({ bytesUploaded: 150, bytesTotal: 300, filesDone: 1 })
    fake('b').succeed()
    const result = await uploader.done()
    expect(events.at(-1)).toMatchObject({ bytesUploaded: 300, bytesTotal: 300, filesDone: 2 })
    expect(result.failed.map((entry) => entry.error?.code)).toEqual(['http'])
    expect(result.succeeded[0]?.result?.url).toBe('/files/b')
    expect(idle).toHaveBeenCalledTimes(1)
    expect(idle).toHaveBeenCalledWith(result)
  })

  it('emits queue progress at most once per progressInterval', async () => {
    const { uploader, fake } = setup({ progressInterval: 100 })
    const times: number[] = []
    uploader.on('progress', () => times.push(performance.now()))
    uploader.add([file('a', 100_000)])
    await settle()
    const start = performance.now()
    for (let bytes = 1000; bytes <= 90_000; bytes += 1000) {
      fake('a').report(bytes)
      await new Promise((resolve) => setTimeout(resolve, 4))
    }
    const elapsed = performance.now() - start
    fake('a').succeed()
    await uploader.done()
    // Ninety reports; the throttle lets through one per 100 ms, plus the last before `idle`.
    expect(times.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 3)
    const gaps = times.slice(1, -1).map((time, index) => time - (times[index] ?? 0))
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(95)
  })

  it('schedules 1,000 files quickly and with a bounded number of progress events', async () => {
    const finishAtOnce = (fake: FakeUpload) => queueMicrotask(() => fake.succeed())
    const { uploader, harness } = setup({ concurrency: 3 }, finishAtOnce)
    let progressEvents = 0
    uploader.on('progress', () => (progressEvents += 1))
    const start = performance.now()
    uploader.add(Array.from({ length: 1000 }, (_, index) => file(`f${index}`, 10)))
    const added = performance.now() - start
    const result = await uploader.done()
    const elapsed = performance.now() - start
    expect(result.succeeded).toHaveLength(1000)
    expect(added).toBeLessThan(200)
    expect(elapsed).toBeLessThan(1500)
    expect(harness.maxSending).toBeLessThanOrEqual(3)
    expect(progressEvents).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 2)
  })
})
