// Shared by the benchmarks: medians, alternating rounds, and a table with ratios.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/**
 * Runs every contender once per round, in alternating order so that neither always runs on a
 * warmer machine, and returns each contender's median throughput in MB/s. A `run()` that resolves
 * with a number has timed itself (in seconds), so that checking its result afterwards does not count.
 */
export async function compare(contenders, { rounds, bytes }) {
  const samples = new Map(contenders.map((contender) => [contender.name, []]))
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse()
    for (const contender of order) {
      const started = performance.now()
      const timed = await contender.run()
      const seconds = typeof timed === 'number' ? timed : (performance.now() - started) / 1000
      samples.get(contender.name).push(bytes / 1e6 / seconds)
    }
  }
  return contenders.map(({ name }) => ({ name, mbPerSecond: median(samples.get(name)), samples: samples.get(name) }))
}

/** Prints results with each row's ratio to the baseline row (the last one). */
export function printTable(title, results) {
  const baseline = results.at(-1)
  console.log(`\n${title}`)
  console.log('| contender | MB/s (median) | runs | ratio to baseline |')
  console.log('| --- | ---: | --- | ---: |')
  for (const result of results) {
    const runs = result.samples.map((value) => value.toFixed(0)).join(', ')
    const ratio = (result.mbPerSecond / baseline.mbPerSecond).toFixed(2)
    console.log(`| ${result.name} | ${result.mbPerSecond.toFixed(0)} | ${runs} | ${ratio}× |`)
  }
}
