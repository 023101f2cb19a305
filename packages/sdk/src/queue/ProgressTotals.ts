import { SpeedMeter } from '../progress/SpeedMeter.js'

/** Progress of a whole queue. `speed` in bytes/s; `eta` in seconds, `undefined` until known. */
export interface UploaderProgress {
  /** Bytes acknowledged by the server, over the files that are or will be uploaded. */
  bytesUploaded: number
  /** Bytes of the files that are or will be uploaded: failed and cancelled files leave it. */
  bytesTotal: number
  /** Files that are done, failed or cancelled. */
  filesDone: number
  filesTotal: number
  speed: number
  eta: number | undefined
}

export interface SettledFile {
  size: number
  bytesUploaded: number
  succeeded: boolean
}

/**
 * Running totals of a queue, kept by adding differences as files move, so a progress event costs
 * the same whether a hundred or a thousand files are queued.
 *
 * @example
 * const totals = new ProgressTotals()
 * totals.addFile(file.size)
 * totals.advance(bytesUploaded - previous, { sent: true })
 * render(totals.snapshot())
 */
export class ProgressTotals {
  #bytesUploaded = 0
  #bytesTotal = 0
  #filesDone = 0
  #filesTotal = 0
  /** Every byte sent so far, never decreasing: what the speed is measured on. */
  #bytesSent = 0
  readonly #meter = new SpeedMeter()

  addFile(size: number): void {
    this.#filesTotal += 1
    this.#bytesTotal += size
  }

  /**
   * `delta` more bytes (fewer when negative: a chunk being sent again). A resumed upload's first
   * report includes bytes sent in an earlier session, which are not `sent` now.
   */
  advance(delta: number, { sent }: { sent: boolean }): void {
    this.#bytesUploaded += delta
    if (!sent || delta <= 0) return
    this.#bytesSent += delta
    this.#meter.update(this.#bytesSent)
  }

  /** A file has finished; unless it `succeeded`, its bytes leave both totals. */
  settleFile({ size, bytesUploaded, succeeded }: SettledFile): void {
    this.#filesDone += 1
    if (succeeded) return
    this.#bytesTotal -= size
    this.#bytesUploaded -= bytesUploaded
  }

  /** Nothing is being sent for a while (the queue is paused): measure the speed afresh. */
  resetSpeed(): void {
    this.#meter.reset()
  }

  snapshot(): UploaderProgress {
    const remaining = Math.max(0, this.#bytesTotal - this.#bytesUploaded)
    return {
      bytesUploaded: this.#bytesUploaded,
      bytesTotal: this.#bytesTotal,
      filesDone: this.#filesDone,
      filesTotal: this.#filesTotal,
      speed: this.#meter.speed,
      eta: this.#meter.eta(this.#bytesSent + remaining),
    }
  }
}
