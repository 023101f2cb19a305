/**
 * Design note. Upload progress arrives unevenly: browsers report in bursts, chunked uploads go
 * quiet between requests, and a paused upload sends nothing at all. The meter therefore averages
 * rates weighted by the time each one covered (an exponential moving average over time, not over
 * events): a burst of events in one instant weighs no more than the time it spans. The average is
 * bias-corrected, so the first second reads true instead of climbing from zero. The time since the
 * last update counts as time in which nothing arrived, so a stall shows as falling speed; a gap
 * longer than `idleReset` is taken for a pause, after which the meter starts afresh.
 */

export interface SpeedMeterOptions {
  /**
   * Milliseconds after which a measurement counts half as much as a new one.
   * @default 2000
   */
  halfLife?: number
  /**
   * Milliseconds of transfer to observe before `eta` gives an answer.
   * @default 1000
   */
  warmup?: number
  /**
   * A gap between updates longer than this many milliseconds is a pause: the next update starts
   * a fresh measurement, and `eta` gives no answer meanwhile.
   * @default 10000
   */
  idleReset?: number
  /**
   * Milliseconds from any fixed origin; tests pass a fake clock.
   * @default () => performance.now()
   */
  clock?: () => number
}

export const defaultSpeedMeterOptions = {
  halfLife: 2000,
  warmup: 1000,
  idleReset: 10_000,
  clock: (): number => performance.now(),
}

/**
 * Smoothed upload speed and time remaining, fed with the running byte count.
 *
 * @example
 * const meter = new SpeedMeter()
 * upload.on('progress', ({ bytesUploaded, bytesTotal }) => {
 *   meter.update(bytesUploaded)
 *   render(meter.speed, meter.eta(bytesTotal))
 * })
 */
export class SpeedMeter {
  readonly #options: typeof defaultSpeedMeterOptions
  #lastBytes: number | undefined
  #lastTime = 0
  /** Sum of rates times their weights, and sum of the weights, for the bias-corrected average. */
  #weightedRate = 0
  #weight = 0
  #observed = 0

  constructor(options: SpeedMeterOptions = {}) {
    this.#options = { ...defaultSpeedMeterOptions, ...options }
  }

  /**
   * Records that `bytesUploaded` bytes in all have been sent by the time `now`, which must come
   * from the same clock as the `clock` option (the getters read that clock).
   */
  update(bytesUploaded: number, now: number = this.#options.clock()): void {
    const paused = now - this.#lastTime > this.#options.idleReset
    if (this.#lastBytes !== undefined && paused) this.reset()
    // A first update, or a count that went back (a chunk sent again), only sets the baseline.
    if (this.#lastBytes === undefined || bytesUploaded < this.#lastBytes) {
      this.#lastBytes = bytesUploaded
      this.#lastTime = now
      return
    }
    const elapsed = now - this.#lastTime
    // Several events in one instant: measure their bytes over the next real interval.
    if (elapsed <= 0) return
    const keep = this.#keep(elapsed)
    const rate = ((bytesUploaded - this.#lastBytes) / elapsed) * 1000
    this.#weightedRate = this.#weightedRate * keep + rate * (1 - keep)
    this.#weight = this.#weight * keep + (1 - keep)
    this.#observed += elapsed
    this.#lastBytes = bytesUploaded
    this.#lastTime = now
  }

  /** Bytes per second, smoothed; 0 until two updates have been seen. */
  get speed(): number {
    if (this.#weight === 0) return 0
    const keep = this.#keep(Math.max(0, this.#options.clock() - this.#lastTime))
    // The silence since the last update enters as a rate of zero with its own weight.
    return (this.#weightedRate * keep) / (this.#weight * keep + (1 - keep))
  }

  /**
   * Seconds until `bytesTotal` bytes are sent at the current speed; `undefined` while warming up,
   * during a pause, or when nothing is moving.
   */
  eta(bytesTotal: number): number | undefined {
    const { warmup, idleReset, clock } = this.#options
    if (this.#lastBytes === undefined || this.#observed < warmup) return undefined
    if (clock() - this.#lastTime > idleReset) return undefined
    const speed = this.speed
    if (speed <= 0) return undefined
    return Math.max(0, bytesTotal - this.#lastBytes) / speed
  }

  /** Forgets all measurements, for example when the user pauses the upload. */
  reset(): void {
    this.#lastBytes = undefined
    this.#weightedRate = 0
    this.#weight = 0
    this.#observed = 0
  }

  /** How much of the average survives `elapsed` milliseconds. */
  #keep(elapsed: number): number {
    return 0.5 ** (elapsed / this.#options.halfLife)
  }
}
