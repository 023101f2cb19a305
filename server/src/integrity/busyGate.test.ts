import { afterEach, describe, expect, it } from 'vitest'
import { type BusyGate, createBusyGate } from './busyGate.js'

let gate: BusyGate | undefined
afterEach(() => gate?.stop())

const flagOf = (busy: BusyGate) => Atomics.load(new Int32Array(busy.flag), 0)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('createBusyGate', () => {
  it('is set while the event loop works and clears once it idles', async () => {
    gate = createBusyGate({ intervalMs: 50 })
    await sleep(120)
    expect(flagOf(gate)).toBe(0)
    // Work in slices, so the gate's own timer gets to run between them.
    const until = performance.now() + 300
    while (performance.now() < until) {
      const slice = performance.now() + 20
      while (performance.now() < slice) {}
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(flagOf(gate)).toBe(1)
    await sleep(150)
    expect(flagOf(gate)).toBe(0)
  })
})
