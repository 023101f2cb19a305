import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

/** A SHA-256 running in a worker thread; its state can be saved and loaded like hash-wasm's. */
export interface RemoteHash {
  /**
   * Hands a chunk to the worker (copied, so the caller may reuse it). Resolves at once while
   * little is queued, and otherwise once the worker has caught up, so a fast sender waits for the
   * hash instead of piling chunks up in memory.
   */
  update(chunk: Uint8Array): Promise<void>
  /**
   * Hands a chunk over only if it fits in the batch buffers free now, without waiting; `false`
   * means nothing was taken (the caller's hash falls behind instead of slowing the sender).
   */
  tryUpdate(chunk: Uint8Array): boolean
  /** hash-wasm `save()` of everything hashed so far. */
  save(): Promise<Uint8Array>
  /** Lowercase hex digest; the hash is finished afterwards. */
  digest(): Promise<string>
  /**
   * Between two requests of an upload: the hash stays open in its worker (it goes on hashing what
   * it was given) while its batch buffers go back for other hashes; `update` takes them again.
   */
  rest(): void
  /** Frees the hash in the worker. */
  close(): void
}

export interface HashWorkers {
  /** A fresh hash, or one continuing from a saved state. */
  open(state?: Uint8Array): Promise<RemoteHash>
  terminate(): Promise<void>
}

export interface HashWorkerOptions {
  /** @default one per core but one (the event loop keeps a core), at least one */
  threads?: number
  /**
   * Bytes of one hash on their way to its thread (in 1 MiB batches) before `update` waits.
   * @default 4 MiB
   */
  highWaterBytes?: number
  /**
   * `background` threads run at the lowest CPU priority (Linux SCHED_IDLE, else nice 19): work
   * that may fall behind, such as checkpoints trailing an upload, takes only the CPU nothing else
   * wants.
   * @default 'normal'
   */
  priority?: 'normal' | 'background'
  /**
   * Start the threads now rather than with the first hash: a thread is part of the idle server,
   * and the first upload does not wait for one to boot. Lazy suits a pool that is rarely used.
   * @default true
   */
  eager?: boolean
  /**
   * A `BusyGate` flag: while it is set the threads hash nothing (they wait between batches), so
   * background work leaves the CPU to a busy event loop.
   */
  pauseWhile?: SharedArrayBuffer
}

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

/**
 * Worker threads that hash with hash-wasm. hash-wasm is the SHA-256 whose state can be saved, and
 * it is several times slower than node:crypto; in a worker it runs beside the event loop that
 * receives and stores the bytes, so an upload is limited by the slower of the two instead of
 * their sum.
 */
export function createHashWorkers({
  threads = Math.max(1, availableParallelism() - 1),
  highWaterBytes = 4 * 1024 * 1024,
  priority = 'normal',
  eager = true,
  pauseWhile,
}: HashWorkerOptions = {}): HashWorkers {
  const hashWasm = createRequire(import.meta.url).resolve('hash-wasm')
  const pool: Array<ReturnType<typeof startThread> | undefined> = Array.from({ length: threads }, () => undefined)
  let nextThread = 0
  let nextId = 0
  // Batch buffers of finished hashes, for the next ones (one upload's PATCHes each open a hash).
  const spare: ArrayBuffer[] = []
  if (eager) for (let index = 0; index < threads; index++) thread(index)

  function thread(index: number) {
    const current = pool[index]
    if (current && !current.failed) return current
    const started = startThread(hashWasm, priority === 'background', pauseWhile)
    pool[index] = started
    return started
  }

  return {
    async open(state) {
      const worker = thread(nextThread++ % threads)
      const id = nextId++
      await worker.call({ op: 'open', id, state })
      // Bytes travel in batches through a few buffers that the worker hands back once hashed:
      // no garbage per chunk, and a sender waits when every buffer is out.
      const buffers = createBufferPool(Math.max(1, Math.floor(highWaterBytes / BATCH_BYTES)), spare)
      let batch: Uint8Array<ArrayBuffer> | undefined
      let filled = 0
      const flush = () => {
        if (!batch || filled === 0) return
        const sent = batch
        const length = filled
        batch = undefined
        filled = 0
        worker.call({ op: 'update', id, chunk: sent, length }, [sent.buffer]).then(
          (returned) => buffers.give(returned as ArrayBuffer),
          (error: Error) => buffers.fail(error),
        )
      }
      const copy = (chunk: Uint8Array, from: number): number => {
        const target = batch as Uint8Array<ArrayBuffer>
        const length = Math.min(chunk.length - from, target.length - filled)
        target.set(chunk.subarray(from, from + length), filled)
        filled += length
        if (filled === target.length) flush()
        return from + length
      }
      return {
        async update(chunk) {
          for (let offset = 0; offset < chunk.length; ) {
            batch ??= await buffers.take()
            offset = copy(chunk, offset)
          }
        },
        tryUpdate(chunk) {
          const room = (batch ? batch.length - filled : 0) + buffers.available() * BATCH_BYTES
          if (room < chunk.length) return false
          for (let offset = 0; offset < chunk.length; ) {
            batch ??= buffers.takeNow()
            offset = copy(chunk, offset)
          }
          return true
        },
        async save() {
          flush()
          return (await worker.call({ op: 'save', id })) as Uint8Array
        },
        async digest() {
          flush()
          return (await worker.call({ op: 'digest', id })) as string
        },
        rest() {
          flush()
          buffers.recycle()
        },
        close() {
          buffers.recycle()
          worker.call({ op: 'close', id }).catch(() => undefined)
        },
      }
    },
    async terminate() {
      await Promise.all(pool.map((started) => started?.worker.terminate()))
    },
  }
}

const BATCH_BYTES = 1024 * 1024

const SPARE_BUFFERS = 16

/**
 * One hash's batch buffers, at most `size`; `take` waits while all are with the worker. They
 * come from and go back to `spare`, shared by all hashes, so a new hash allocates nothing.
 */
function createBufferPool(size: number, spare: ArrayBuffer[]) {
  const free: ArrayBuffer[] = []
  const waiters: Array<() => void> = []
  let created = 0
  let failure: Error | undefined
  // Between requests (or once closed) the buffers belong to other hashes, as they come back.
  let resting = false
  const toSpare = (buffer: ArrayBuffer) => {
    created--
    if (spare.length < SPARE_BUFFERS) spare.push(buffer)
  }
  /** Buffers `takeNow` can hand out (none once the worker failed). */
  const available = () => (failure ? 0 : free.length + size - created)
  /** Only while `available()` is positive. */
  const takeNow = (): Uint8Array<ArrayBuffer> => {
    resting = false
    const buffer = free.pop()
    if (buffer) return new Uint8Array(buffer)
    created++
    return new Uint8Array(spare.pop() ?? new ArrayBuffer(BATCH_BYTES))
  }
  return {
    available,
    takeNow,
    async take(): Promise<Uint8Array<ArrayBuffer>> {
      // Buffers coming back from now on are this hash's again, and wake it.
      resting = false
      for (;;) {
        if (failure) throw failure
        if (available() > 0) return takeNow()
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
    },
    give(buffer: ArrayBuffer): void {
      if (resting) return toSpare(buffer)
      free.push(buffer)
      waiters.shift()?.()
    },
    fail(error: Error): void {
      failure = error
      for (const wake of waiters.splice(0)) wake()
    },
    /** Hands this hash's buffers back for others, now and as the worker returns them. */
    recycle(): void {
      resting = true
      for (const buffer of free.splice(0)) toSpare(buffer)
    },
  }
}

function startThread(hashWasm: string, background: boolean, pauseWhile: SharedArrayBuffer | undefined) {
  const worker = new Worker(`(${hashThread.toString()})()`, { eval: true, workerData: { hashWasm, background, pauseWhile } })
  const pending = new Map<number, Pending>()
  let nextSeq = 0
  const started = {
    worker,
    failed: false,
    call(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<unknown> {
      if (started.failed) return Promise.reject(new Error('the hash worker stopped'))
      const seq = nextSeq++
      return new Promise((resolve, reject) => {
        // A thread with work under way keeps the process alive until it answers; an idle one does not.
        if (pending.size === 0) worker.ref()
        pending.set(seq, { resolve, reject })
        worker.postMessage({ ...message, seq }, transfer)
      })
    },
  }
  worker.on('message', (reply: { seq: number; value?: unknown; error?: string }) => {
    const call = pending.get(reply.seq)
    pending.delete(reply.seq)
    if (pending.size === 0) worker.unref()
    if (reply.error === undefined) call?.resolve(reply.value)
    else call?.reject(new Error(reply.error))
  })
  const fail = (error: Error) => {
    started.failed = true
    for (const call of pending.values()) call.reject(error)
    pending.clear()
  }
  worker.on('error', fail)
  worker.on('exit', () => fail(new Error('the hash worker exited')))
  // Idle until called. After the listeners: adding a 'message' listener refs the worker again.
  worker.unref()
  return started
}

/** The worker's side: one promise chain per hash keeps its operations in order. */
function hashThread() {
  // biome-ignore lint: runs as a plain script in the worker, where require is the way in.
  const { parentPort, workerData } = require('node:worker_threads')
  const { createSHA256 } = require(workerData.hashWasm)
  if (workerData.background) {
    let threadId: number | undefined
    try {
      // On Linux a thread has its own nice value, set through its id (here, not the process's).
      threadId = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop())
      require('node:os').setPriority(threadId, 19)
    } catch {
      // Elsewhere the thread keeps the process's priority: slower uploads, same results.
    }
    try {
      // Nice 19 is not enough under Linux's EEVDF scheduler: a running thread keeps its core for
      // the rest of its slice, so the thread-pool writes and the event loop waited 2-7 ms for this
      // one at the end of every PATCH (measured: 6.5 against 2.0 ms from the last byte to the
      // answer at 40 MB/s). SCHED_IDLE yields at once to every other thread; any user may choose
      // it, and util-linux's chrt is the way to set it without native code.
      if (threadId !== undefined) {
        require('node:child_process').execFileSync('chrt', ['--idle', '--pid', '0', String(threadId)], { stdio: 'ignore', timeout: 5000 })
      }
    } catch {
      // Without chrt the thread stays at nice 19: the same results, answers a few ms later.
    }
  }
  const chains = new Map<number, Promise<any>>()
  const gate = workerData.pauseWhile ? new Int32Array(workerData.pauseWhile) : undefined
  parentPort.on('message', (message: any) => {
    const { op, id, seq } = message
    if (op === 'open') {
      chains.set(
        id,
        createSHA256().then((hasher: any) => (message.state ? hasher.load(message.state) : hasher.init())),
      )
    }
    const chain = chains.get(id) ?? Promise.reject(new Error(`no hash ${id}`))
    const next = chain.then((hasher: any) => {
      let value: unknown
      if (op === 'update') {
        // Blocking is fine here: this thread only hashes, and its messages wait in the queue.
        while (gate && Atomics.load(gate, 0) === 1) Atomics.wait(gate, 0, 1, 1000)
        hasher.update(message.chunk.subarray(0, message.length))
      } else if (op === 'save') value = hasher.save()
      else if (op === 'digest') value = hasher.digest('hex')
      // A hashed batch goes back to be filled again.
      if (op === 'update') parentPort.postMessage({ seq, value: message.chunk.buffer }, [message.chunk.buffer])
      else parentPort.postMessage({ seq, value })
      return hasher
    })
    next.catch((error: Error) => parentPort.postMessage({ seq, error: String(error?.message ?? error) }))
    if (op === 'close') chains.delete(id)
    else chains.set(id, next)
  })
}
