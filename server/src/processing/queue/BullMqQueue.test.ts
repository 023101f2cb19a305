import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../../../test/helpers/redisServer.js'
import { createBullMqQueue } from './BullMqQueue.js'
import { createQueue } from './createQueue.js'
import { describeQueueContract } from './queueContract.js'
import { aborted, makeJob, recordEvents } from './queueContractKit.js'
import type { JobQueue, QueueOptions } from './types.js'

let redis: RedisServer

beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

/** Each test gets queues of its own, so no test sees another's jobs. */
const uniqueName = (): string => `ferry-test-${randomUUID().slice(0, 8)}`

describeQueueContract({
  name: 'bullmq',
  create: (options) =>
    createBullMqQueue({ ...options, connection: redis.url, queueName: uniqueName() }),
  testTimeoutMs: 20_000,
})

describe('createBullMqQueue across processes', { timeout: 20_000 }, () => {
  const open: JobQueue[] = []
  const create = (queueName: string, options: Partial<QueueOptions> = {}): JobQueue => {
    const queue = createBullMqQueue({ ...options, connection: redis.url, queueName })
    open.push(queue)
    return queue
  }
  afterAll(async () => {
    await Promise.all(open.map((queue) => queue.close()))
  })

  it('delivers events of a consumer in one instance to a subscriber of another', async () => {
    const queueName = uniqueName()
    const worker = create(queueName, { attempts: 2, backoffMs: 20 })
    const server = create(queueName, { attempts: 2, backoffMs: 20 })
    const log = recordEvents(server)
    await worker.consume(async (_job, { attempt }) => {
      if (attempt === 1) throw new Error('transient')
    })
    const job = makeJob('shared', 'metadata')
    await server.add(job)
    await log.settled(1)
    expect(log.trail(job.id)).toEqual(['started:1', 'retrying:1', 'started:2', 'completed:2'])
    expect(log.events[1]).toMatchObject({ error: 'transient', delayMs: 20, job })
  })

  it('puts a job cut short by close() back to waiting, for the next consumer', async () => {
    const queueName = uniqueName()
    const server = create(queueName)
    const log = recordEvents(server)
    const first = create(queueName, { closeGraceMs: 100 })
    await first.consume(async (_job, { signal }) => {
      await aborted(signal)
    })
    const job = makeJob('interrupted', 'watermark')
    await server.add(job)
    await log.until((events) => events.length === 1)
    await first.close()
    const second = create(queueName)
    await second.consume(async () => undefined)
    await log.settled(1)
    // Attempt 1 again: being interrupted by a shutdown does not spend an attempt.
    expect(log.trail(job.id)).toEqual(['started:1', 'started:1', 'completed:1'])
  })

  it('is what createQueue builds for kind bullmq', async () => {
    const config = { kind: 'bullmq', redisUrl: redis.url, queueName: uniqueName() } as const
    const queue = createQueue(config, { attempts: 1 })
    open.push(queue)
    const log = recordEvents(queue)
    await queue.consume(async () => undefined)
    await queue.add(makeJob('configured', 'compress'))
    await log.settled(1)
    expect(log.trail('configured:compress')).toEqual(['started:1', 'completed:1'])
  })
})
