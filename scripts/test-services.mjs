#!/usr/bin/env node
// Makes sure the programs the tests run for real are installed: Chromium for the browser tests,
// OpenStack Swift and memcached for the local S3 server, Redis for the scale-out job queue. On Debian/Ubuntu as root it installs the
// missing ones; otherwise it prints the exact command and fails, before any test runs.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const requirements = [
  { binary: '/usr/bin/chromium', packages: ['chromium'] },
  { binary: '/usr/bin/memcached', packages: ['memcached'] },
  { binary: '/usr/bin/redis-server', packages: ['redis-server'] },
  { binary: '/usr/bin/curl', packages: ['curl'] },
  { binary: '/usr/bin/swift-proxy-server', packages: ['swift', 'swift-proxy'] },
  { binary: '/usr/bin/swift-account-server', packages: ['swift-account'] },
  { binary: '/usr/bin/swift-container-server', packages: ['swift-container'] },
  { binary: '/usr/bin/swift-object-server', packages: ['swift-object'] },
]

const missing = [...new Set(requirements.filter((r) => !existsSync(r.binary)).flatMap((r) => r.packages))]
if (missing.length === 0) process.exit(0)

const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`
const isRoot = process.getuid?.() === 0
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0
if (!isRoot || !hasApt) {
  console.error(`ferry: the tests need Debian packages that are missing: ${missing.join(', ')}`)
  console.error(`Install them with:\n  sudo apt-get update && sudo ${command}`)
  process.exit(1)
}
console.log(`ferry: installing test services: ${missing.join(', ')}`)
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
execFileSync('sh', ['-c', command], { stdio: 'inherit', env })
