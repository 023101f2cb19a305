// Where an upload's CPU time goes, by process: the browser's processes and the servers, read from
// /proc around each run. On two cores every contender competes for the same CPU, so the seconds
// each one needs per file explain its speed better than its speed alone.
import { cpuSeconds, descendants } from './processes.mjs'
import { median } from './measure.mjs'

/**
 * `servers` maps a pid to its name. Chromium's processes are told apart by their `--type`.
 * `sample()` returns the CPU seconds of each group so far; `since(before)` the difference.
 */
export function createCpuShares(servers) {
  const groupOf = (pid, commandLine) => {
    if (servers.has(pid)) return servers.get(pid)
    if (!commandLine.includes('chrom')) return undefined
    if (commandLine.includes('--type=renderer')) return 'Chromium renderers (page, hash Worker)'
    if (commandLine.includes('NetworkService')) return 'Chromium network service'
    if (!commandLine.includes('--type=')) return 'Chromium browser process'
    return 'Chromium, other'
  }
  const sample = () => {
    const seconds = new Map()
    for (const { pid, commandLine } of descendants(process.pid)) {
      const group = groupOf(pid, commandLine)
      if (group) seconds.set(group, (seconds.get(group) ?? 0) + cpuSeconds(pid))
    }
    return seconds
  }
  return {
    sample,
    since(before) {
      const delta = new Map()
      for (const [group, seconds] of sample()) delta.set(group, Math.max(0, seconds - (before.get(group) ?? 0)))
      return delta
    },
  }
}

/**
 * Prints the median CPU seconds per group for each contender, with their total and the cores
 * that total kept busy on average (total ÷ the contender's median upload time).
 */
export function printCpuShares(title, results, bytes) {
  const groups = [...new Set(results.flatMap(({ cpu }) => cpu.flatMap((run) => [...run.keys()])))].sort()
  console.log(`\n${title}`)
  console.log(`| contender | ${groups.join(' | ')} | total CPU s | cores busy |`)
  console.log(`| --- | ${groups.map(() => '---:').join(' | ')} | ---: | ---: |`)
  for (const { name, cpu, mbPerSecond } of results) {
    const column = (group) => median(cpu.map((run) => run.get(group) ?? 0))
    const total = median(cpu.map((run) => [...run.values()].reduce((sum, seconds) => sum + seconds, 0)))
    const seconds = bytes / 1e6 / mbPerSecond
    console.log(`| ${name} | ${groups.map((group) => column(group).toFixed(2)).join(' | ')} | ${total.toFixed(2)} | ${(total / seconds).toFixed(2)} |`)
  }
}
