// One suite every JobQueue backend must pass (as @tus/server's stores share one suite).
import { describe, expect, it } from 'vitest'
import { QueueError } from './errors.js'
import {
  aborted,
  concurrencyOf,
  createGate,
  makeJob,
  type QueueContractSubject,
  recordEvents,
  sleep,
  useQueues,
} from './queueContractKit.js'

export type { QueueContractSubject } from './queueContractKit.js'

/**
 * Registers the JobQueue contract for one backend.
 * @example
 * describeQueueContract({ name: 'embedded', create: (options) => createEmbeddedQueue(options) })
 */
export function describeQueueContract(subject: QueueContractSubject): void {
  const timeout = subject.testTimeoutMs ?? 10_000
  describe(`JobQueue contract: ${subject.name}`, { timeout }, () => {
    const queues = useQueues(subject)
    const { create } = queues
    const reported = (): Error[] => queues.reported

    it('runs a job and emits started then completed', async () => {
      const queue = await create()
      const log = recordEvents(queue)
      const seen: unknown[] = []
      await queue.consume(async (job, { attempt, signal }) => {
        seen.push({ job, attempt, aborted: signal.aborted })
      })
      const job = makeJob('file-1', 'thumbnails', 3)
      await queue.add(job)
      await log.settled(1)
      expect(log.trail(job.id)).toEqual(['started:1', 'completed:1'])
      expect(log.events.map((event) => event.job)).toEqual([job, job])
      expect(seen).toEqual([{ job, attempt: 1, aborted: false }])
    })

    it('never exceeds per-type concurrency, while different types run in parallel', async () => {
      const concurrency = { ...concurrencyOf('compress', 2), thumbnails: 1 }
      const queue = await create({ concurrency })
      const log = recordEvents(queue)
      const running = { compress: 0, thumbnails: 0 }
      const peak = { compress: 0, thumbnails: 0 }
      let overlapped = false
      await queue.consume(async (job) => {
        const type = job.type === 'compress' ? 'compress' : 'thumbnails'
        running[type] += 1
        peak[type] = Math.max(peak[type], running[type])
        overlapped ||= running.compress > 0 && running.thumbnails > 0
        await sleep(120)
        running[type] -= 1
      })
      const files = ['a', 'b', 'c', 'd', 'e', 'f']
      await Promise.all(files.map((file) => queue.add(makeJob(file, 'compress'))))
      await Promise.all(files.slice(0, 3).map((file) => queue.add(makeJob(file, 'thumbnails'))))
      await log.settled(9)
      expect(peak).toEqual({ compress: 2, thumbnails: 1 })
      expect(overlapped).toBe(true)
    })

    it('runs a higher priority (lower number) first, FIFO among equals', async () => {
      const queue = await create({ concurrency: concurrencyOf('convert', 1) })
      const log = recordEvents(queue)
      const gate = createGate()
      const order: string[] = []
      await queue.consume(async (job) => {
        order.push(job.fileId)
        if (job.fileId === 'blocker') await gate.wait
      })
      await queue.add(makeJob('blocker', 'convert'))
      await log.until((events) => events.some((event) => event.type === 'started'))
      await queue.add(makeJob('low-1', 'convert', 20))
      await queue.add(makeJob('low-2', 'convert', 20))
      await queue.add(makeJob('high', 'convert', 1))
      gate.open()
      await log.settled(4)
      expect(order).toEqual(['blocker', 'high', 'low-1', 'low-2'])
    })

    it('runs a duplicate of a pending or running id once', async () => {
      const queue = await create({ concurrency: concurrencyOf('convert', 1) })
      const log = recordEvents(queue)
      const gate = createGate()
      const runs: string[] = []
      await queue.consume(async (job) => {
        runs.push(job.fileId)
        await gate.wait
      })
      await queue.add(makeJob('running', 'convert'))
      await log.until((events) => events.length > 0)
      for (const file of ['running', 'waiting', 'waiting', 'running', 'waiting']) {
        await queue.add(makeJob(file, 'convert'))
      }
      gate.open()
      await log.settled(2)
      await sleep(150)
      expect(runs).toEqual(['running', 'waiting'])
    })

    it('runs an id again once it has completed or failed', async () => {
      const queue = await create({ attempts: 1 })
      const log = recordEvents(queue)
      let calls = 0
      await queue.consume(async () => {
        calls += 1
        if (calls === 2) throw new Error('second run fails')
      })
      const job = makeJob('again')
      for (let round = 1; round <= 3; round += 1) {
        await queue.add(job)
        await log.settled(round)
      }
      expect(log.trail(job.id)).toEqual([
        ...['started:1', 'completed:1'],
        ...['started:1', 'failed:1'],
        ...['started:1', 'completed:1'],
      ])
    })

    it('treats ids as opaque strings', async () => {
      const queue = await create()
      const log = recordEvents(queue)
      await queue.consume(async () => undefined)
      const ids = ['42', 'file:gzip', 'file%3Agzip', 'a:b:c', 'émoji 📦/..']
      for (const id of ids) await queue.add({ ...makeJob('file'), id })
      await log.settled(ids.length)
      expect(new Set(log.events.map((event) => event.job.id))).toEqual(new Set(ids))
    })

    it('retries with exponential backoff, then completes', async () => {
      const queue = await create({ attempts: 3, backoffMs: 50 })
      const log = recordEvents(queue)
      const startedAt: number[] = []
      await queue.consume(async (_job, { attempt }) => {
        startedAt.push(Date.now())
        if (attempt < 3) throw new Error(`boom ${attempt}`)
      })
      const job = makeJob('flaky')
      await queue.add(job)
      await log.settled(1)
      expect(log.trail(job.id)).toEqual([
        ...['started:1', 'retrying:1', 'started:2'],
        ...['retrying:2', 'started:3', 'completed:3'],
      ])
      const retries = log.events.filter((event) => event.type === 'retrying')
      expect(retries.map((event) => [event.error, event.delayMs])).toEqual([
        ['boom 1', 50],
        ['boom 2', 100],
      ])
      // Measured where the runner starts, not where events arrive (Redis may batch deliveries).
      const [first = 0, second = 0, third = 0] = startedAt
      expect(second - first).toBeGreaterThanOrEqual(48)
      expect(third - second).toBeGreaterThanOrEqual(98)
    })

    it('emits failed with the error message once attempts are exhausted', async () => {
      const queue = await create({ attempts: 2, backoffMs: 10 })
      const log = recordEvents(queue)
      await queue.consume(async () => Promise.reject(new Error('corrupt input')))
      const job = makeJob('broken')
      await queue.add(job)
      await log.settled(1)
      await sleep(100)
      expect(log.trail(job.id)).toEqual(['started:1', 'retrying:1', 'started:2', 'failed:2'])
      const last = log.events.at(-1)
      expect(last).toMatchObject({ type: 'failed', attempt: 2, error: 'corrupt input' })
    })

    it('fails at once, without retries, an error marked retryable: false', async () => {
      const queue = await create({ attempts: 3, backoffMs: 10 })
      const log = recordEvents(queue)
      await queue.consume(async () => {
        throw Object.assign(new Error('not an image'), { retryable: false })
      })
      const job = makeJob('unfixable')
      await queue.add(job)
      await log.settled(1)
      await sleep(100)
      expect(log.trail(job.id)).toEqual(['started:1', 'failed:1'])
      expect(log.events.at(-1)).toMatchObject({ type: 'failed', attempt: 1, error: 'not an image' })
    })

    it('aborts the signal at the timeout and counts the attempt as failed', async () => {
      const queue = await create({ attempts: 1, timeoutMs: 100 })
      const log = recordEvents(queue)
      const reasons: unknown[] = []
      await queue.consume(async (_job, { signal }) => {
        reasons.push(await aborted(signal))
      })
      await queue.add(makeJob('slow'))
      await log.settled(1)
      const timedOut = { type: 'failed', error: expect.stringMatching(/timed out/) }
      expect(log.events.at(-1)).toMatchObject(timedOut)
      expect(reasons).toEqual([expect.any(QueueError)])
      expect(reasons[0]).toMatchObject({ code: 'timeout' })
    })

    it('waits up to one more timeout for a runner that stops late: what it records comes before the failure', async () => {
      const queue = await create({ attempts: 1, timeoutMs: 100 })
      const log = recordEvents(queue)
      let runnerSettled = false
      let settledBeforeFailure: boolean | undefined
      queue.subscribe((event) => {
        if (event.type === 'failed') settledBeforeFailure = runnerSettled
      })
      await queue.consume(async (_job, { signal }) => {
        try {
          await sleep(150) // an image step, which cannot be cut short
          signal.throwIfAborted()
        } finally {
          runnerSettled = true
        }
      })
      await queue.add(makeJob('late'))
      await log.settled(1)
      expect(log.events.at(-1)).toMatchObject({ type: 'failed', error: expect.stringMatching(/timed out/) })
      expect(settledBeforeFailure).toBe(true)
    })

    it('fails a runner ignoring the signal at the timeout and drops its late result', async () => {
      const queue = await create({ attempts: 2, backoffMs: 10, timeoutMs: 100 })
      const log = recordEvents(queue)
      const stubborn = createGate()
      let stubbornRunning = false
      let overlapped = false
      await queue.consume(async (_job, { attempt }) => {
        if (attempt === 2) overlapped = stubbornRunning
        if (attempt !== 1) return
        stubbornRunning = true
        await sleep(1000)
        stubbornRunning = false
        stubborn.open()
      })
      const job = makeJob('stubborn')
      await queue.add(job)
      await log.settled(1)
      const timedOut = { type: 'retrying', error: expect.stringMatching(/timed out/) }
      expect(log.events[1]).toMatchObject(timedOut)
      // Attempt 2 did not wait for attempt 1's runner to give up (beyond one more timeout).
      expect(overlapped).toBe(true)
      await stubborn.wait
      await sleep(100)
      expect(log.trail(job.id)).toEqual(['started:1', 'retrying:1', 'started:2', 'completed:2'])
    })

    it('survives runners and listeners that throw', async () => {
      const problems: unknown[] = []
      const note = (problem: unknown): void => void problems.push(problem)
      process.on('unhandledRejection', note).on('uncaughtException', note)
      try {
        const queue = await create({ attempts: 1 })
        queue.subscribe(() => {
          throw new Error('listener bug')
        })
        const log = recordEvents(queue)
        await queue.consume((job) => {
          if (job.fileId === 'sync') throw new Error('thrown synchronously')
          return Promise.reject(new Error('rejected'))
        })
        await queue.add(makeJob('sync'))
        await queue.add(makeJob('async'))
        await log.settled(2)
        await sleep(100)
        const failures = log.events.filter((event) => event.type === 'failed')
        const messages = failures.map((event) => event.error).sort()
        expect(messages).toEqual(['rejected', 'thrown synchronously'])
        expect(reported().length).toBeGreaterThanOrEqual(4)
        expect(reported()[0]?.message).toMatch(/listener threw/)
        expect(problems).toEqual([])
      } finally {
        process.off('unhandledRejection', note).off('uncaughtException', note)
      }
    })

    it('close() lets running jobs finish within the grace period, then aborts others', async () => {
      const queue = await create({ closeGraceMs: 300 })
      const log = recordEvents(queue)
      const reasons: unknown[] = []
      await queue.consume(async (job, { signal }) => {
        if (job.fileId === 'quick') return sleep(50)
        reasons.push(await aborted(signal))
      })
      await queue.add(makeJob('quick', 'compress'))
      await queue.add(makeJob('endless', 'compress'))
      await log.until((events) => events.filter((event) => event.type === 'started').length === 2)
      const closing = Date.now()
      await queue.close()
      expect(Date.now() - closing).toBeLessThan(3000)
      expect(log.trail('quick:compress')).toEqual(['started:1', 'completed:1'])
      expect(reasons).toEqual([expect.objectContaining({ code: 'closed' })])
      await expect(queue.add(makeJob('late'))).rejects.toMatchObject({ code: 'closed' })
    })
  })
}
