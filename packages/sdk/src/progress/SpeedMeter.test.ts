import { describe, expect, it } from 'vitest'
import { SpeedMeter } from './SpeedMeter.js'

const MB = 1_000_000

/** A meter on a clock that only moves when the test says so. */
function setup(options: ConstructorParameters<typeof SpeedMeter>[0] = {}) {
  const clock = { now: 0 }
  const meter = new SpeedMeter({ clock: () => clock.now, ...options })
  let bytes = 0
  /** Sends at `bytesPerSecond` for `ms` milliseconds, reporting every `every` ms. */
  const send = (bytesPerSecond: number, ms: number, every = 100) => {
    for (let t = 0; t < ms; t += every) {
      clock.now += every
      bytes += (bytesPerSecond * every) / 1000
      meter.update(bytes)
    }
  }
  return { meter, clock, send, bytes: () => bytes }
}

describe('SpeedMeter', () => {
  it('reads a steady rate exactly from the first interval on', () => {
    const { meter, send } = setup()
    meter.update(0)
    expect(meter.speed).toBe(0)
    send(MB, 100)
    expect(meter.speed).toBeCloseTo(MB, -2)
    send(MB, 5000)
    expect(meter.speed).toBeCloseTo(MB, -2)
  })

  it('gives no eta until it has watched the warmup time, then the time left', () => {
    const { meter, send } = setup({ warmup: 1000 })
    meter.update(0)
    send(MB, 900)
    expect(meter.eta(10 * MB)).toBeUndefined()
    send(MB, 100)
    expect(meter.eta(10 * MB)).toBeCloseTo(9, 3)
    expect(meter.eta(MB / 2)).toBe(0)
  })

  it('is not fooled by bursts: bytes arriving in lumps average out over time', () => {
    const { meter, clock } = setup()
    let bytes = 0
    meter.update(bytes)
    for (let second = 0; second < 10; second++) {
      clock.now += 900
      meter.update(bytes)
      // One megabyte reported in four events at the same instant, then in the next 100 ms.
      for (let i = 0; i < 4; i++) meter.update((bytes += MB / 8))
      clock.now += 100
      meter.update((bytes += MB / 2))
    }
    expect(meter.speed).toBeGreaterThan(0.7 * MB)
    expect(meter.speed).toBeLessThan(1.6 * MB)
    expect(meter.eta(bytes + 10 * MB)).toBeGreaterThan(6)
  })

  it('follows a change of rate within about one half-life', () => {
    const { meter, send } = setup({ halfLife: 2000 })
    meter.update(0)
    send(MB, 10_000)
    send(3 * MB, 2000)
    // Halfway from the old rate to the new, give or take the weight of the first seconds.
    expect(meter.speed / MB).toBeCloseTo(2, 1)
  })

  it('decays while nothing arrives, and eta grows', () => {
    const { meter, clock, send } = setup({ halfLife: 2000 })
    meter.update(0)
    send(MB, 20_000)
    const etaBefore = meter.eta(100 * MB) ?? 0
    clock.now += 2000
    expect(meter.speed).toBeCloseTo(MB / 2, -3)
    expect(meter.eta(100 * MB)).toBeGreaterThan(etaBefore * 1.9)
  })

  it('starts afresh after a pause longer than idleReset', () => {
    const { meter, clock, send, bytes } = setup({ idleReset: 10_000, warmup: 1000 })
    meter.update(0)
    send(MB, 5000)
    clock.now += 10_001
    expect(meter.eta(100 * MB)).toBeUndefined()
    meter.update(bytes())
    expect(meter.speed).toBe(0)
    send(4 * MB, 100)
    expect(meter.speed).toBeCloseTo(4 * MB, -2)
    expect(meter.eta(100 * MB)).toBeUndefined()
  })

  it('takes a count that went back as a new baseline, never a negative speed', () => {
    const { meter, clock, send } = setup()
    meter.update(0)
    send(MB, 3000)
    clock.now += 100
    meter.update(MB)
    expect(meter.speed).toBeGreaterThan(0.9 * MB)
    clock.now += 100
    meter.update(MB + 100_000)
    expect(meter.speed).toBeCloseTo(MB, -4)
  })

  it('forgets everything on reset', () => {
    const { meter, send } = setup()
    meter.update(0)
    send(MB, 3000)
    meter.reset()
    expect(meter.speed).toBe(0)
    expect(meter.eta(MB)).toBeUndefined()
  })

  it('reads the injected clock when update gets no time', () => {
    const clock = { now: 1000 }
    const meter = new SpeedMeter({ clock: () => clock.now })
    meter.update(0)
    clock.now = 1500
    meter.update(500_000, 1500)
    expect(meter.speed).toBeCloseTo(MB, -2)
  })
})
