// Peak resident memory of a process while something runs, sampled from /proc/<pid>/status.
import { residentBytes } from './processes.mjs'

/**
 * Samples the resident set of `pid` every `intervalMs` until `stop()`, which returns the highest
 * value seen in bytes (the process's memory under load, not just at the end).
 */
export function watchResidentPeak(pid, intervalMs = 50) {
  let peak = residentBytes(pid)
  const timer = setInterval(() => {
    peak = Math.max(peak, residentBytes(pid))
  }, intervalMs)
  return {
    stop() {
      clearInterval(timer)
      return Math.max(peak, residentBytes(pid))
    },
  }
}

/**
 * Wraps benchmark contenders so each run also records the peak resident memory of `pid` above
 * `baselineBytes` (the process's size when idle, before any upload); `growth.get(name)` is the
 * largest over all runs of that contender.
 */
export function withResidentGrowth(contenders, pid, baselineBytes) {
  const growth = new Map()
  const wrapped = contenders.map((contender) => ({
    ...contender,
    async run() {
      const watch = watchResidentPeak(pid)
      try {
        await contender.run()
      } finally {
        const peak = watch.stop() - baselineBytes
        growth.set(contender.name, Math.max(growth.get(contender.name) ?? 0, peak))
      }
    },
  }))
  return { contenders: wrapped, growth }
}

/** Prints each contender's peak resident growth in MiB against a limit. */
export function printResidentGrowth(title, growth, limitMiB) {
  console.log(`\n${title}`)
  console.log(`| contender | peak RSS growth MiB | under ${limitMiB} MiB |`)
  console.log('| --- | ---: | --- |')
  for (const [name, bytes] of growth) {
    const mib = bytes / 1024 / 1024
    console.log(`| ${name} | ${mib.toFixed(0)} | ${mib < limitMiB ? 'yes' : 'no'} |`)
  }
}
