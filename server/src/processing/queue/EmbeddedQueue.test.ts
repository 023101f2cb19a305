import { describe, expect, it } from 'vitest'
import { createQueue } from './createQueue.js'
import { createEmbeddedQueue } from './EmbeddedQueue.js'
import { QueueError } from './errors.js'
import { describeQueueContract } from './queueContract.js'
import { makeJob, recordEvents } from './queueContractKit.js'

describeQueueContract({ name: 'embedded', create: (options) => createEmbeddedQueue(options) })

describe('createEmbeddedQueue', () => {
  it('rejects options no backend could honour, naming the option', () => {
    expect(() => createEmbeddedQueue({ attempts: 0 })).toThrow(/attempts must be an integer/)
    expect(() => createEmbeddedQueue({ timeoutMs: 1.5 })).toThrow(QueueError)
  })

  it('rejects a job with an unknown type or an out-of-range priority', async () => {
    const queue = createEmbeddedQueue()
    await expect(queue.add(makeJob('f', 'gzip', 0))).rejects.toMatchObject({ code: 'invalid-job' })
    const unknown = { ...makeJob('f'), type: 'resize' as 'gzip' }
    await expect(queue.add(unknown)).rejects.toThrow(/unknown type resize/)
    await queue.close()
  })

  it('refuses a second consumer', async () => {
    const queue = createEmbeddedQueue()
    await queue.consume(async () => undefined)
    await expect(queue.consume(async () => undefined)).rejects.toMatchObject({
      code: 'already-consuming',
    })
    await queue.close()
  })

  it('is what createQueue builds for kind embedded', async () => {
    const queue = createQueue({ kind: 'embedded' })
    const log = recordEvents(queue)
    await queue.consume(async () => undefined)
    await queue.add(makeJob('configured'))
    await log.settled(1)
    expect(log.trail('configured:gzip')).toEqual(['started:1', 'completed:1'])
    await queue.close()
  })
})
