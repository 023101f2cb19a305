import { spawn } from 'node:child_process'
import { mkdtemp, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const launcher = fileURLToPath(new URL('../../server/bin/ferry-server.cjs', import.meta.url))
const main = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url))

/** Threads of a server started with `script` once it answers, then stopped. */
async function threadsOf(script: string, env: Record<string, string> = {}): Promise<number> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ferry-launcher-'))
  const port = String(20000 + Math.floor(Math.random() * 20000))
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, PORT: port, HOST: '127.0.0.1', FERRY_DATA_DIR: dataDir, FERRY_LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
  })
  try {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 100) throw new Error(`${script} did not answer`)
      if (await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false)) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return (await readdir(`/proc/${child.pid}/task`)).length
  } finally {
    child.kill('SIGKILL')
  }
}

describe('the ferry-server command', () => {
  it("sizes libuv's threadpool for image work before Node's module loader starts it, unless told otherwise", async () => {
    // The pool's threads start at once, so the launcher's 16 are 12 more than Node's default 4.
    const plain = await threadsOf(main)
    expect(await threadsOf(launcher)).toBe(plain + 12)
    expect(await threadsOf(launcher, { UV_THREADPOOL_SIZE: '4' })).toBe(plain)
  })
})
