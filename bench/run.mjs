// `npm run bench`: every benchmark with its defaults, one after the other. Each prints its own
// table with ratios; run one alone (`node bench/NAME.mjs --help`) to change sizes or rounds.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const benches = ['server-throughput.mjs', 'processing-throughput.mjs', 'sdk-browser.mjs', 'sdk-parallel.mjs', 'sdk-many-files.mjs', 'request-bodies.mjs']
for (const bench of benches) {
  const result = spawnSync(process.execPath, [fileURLToPath(new URL(bench, import.meta.url))], {
    stdio: 'inherit',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
