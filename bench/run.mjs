// `npm run bench`: every benchmark, one after the other. Each prints its own table with ratios.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const benches = ['server-throughput.mjs']
for (const bench of benches) {
  const result = spawnSync(process.execPath, [fileURLToPath(new URL(bench, import.meta.url)), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
