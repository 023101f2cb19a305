import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const mainScript = fileURLToPath(new URL('../../server/bin/ferry-server.cjs', import.meta.url))

export interface ServerProcess {
  url: string
  port: number
  child: ChildProcess
  /** Everything the process printed, for assertions and failure messages. */
  output: () => string
  /** SIGKILL: no shutdown, no flushing, as a crash or an OOM kill would do. */
  kill: () => Promise<void>
  /** SIGTERM and wait for the exit. */
  stop: () => Promise<void>
  alive: () => boolean
  /** Sends a signal and returns at once (see `ended` for the exit). */
  signal: (signal: NodeJS.Signals) => void
  /** How the process ended: its exit code, or the signal that killed it. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** A port that was free a moment ago on 127.0.0.1. */
/** Longer than any shutdown grace the tests configure (the default is 8 s). */
const STOP_TIMEOUT_MS = 30_000

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * Starts the built reference server (the `ferry-server` command, or another `script` that serves Ferry
 * by the same variables) as a real process and waits for its `/healthz`.
 */
export async function startServerProcess(env: Record<string, string>, port?: number, script = mainScript): Promise<ServerProcess> {
  const chosenPort = port ?? (await freePort())
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, FERRY_LOG_LEVEL: 'warn', ...env, PORT: String(chosenPort), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const url = `http://127.0.0.1:${chosenPort}`

  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`)
    try {
      if ((await fetch(`${url}/healthz`)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server did not become healthy in 20 s:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  return {
    url,
    port: chosenPort,
    child,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    signal: (signal) => child.kill(signal),
    ended,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      // Bounded, so a server that does not stop fails the test with its output instead of
      // hanging it until the test's timeout.
      let timer: NodeJS.Timeout | undefined
      const stuck = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS)))
      const timedOut = await Promise.race([exited, stuck])
      clearTimeout(timer)
      if (timedOut === true) {
        child.kill('SIGKILL')
        await exited
        throw new Error(`server did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM:\n${output}`)
      }
    },
  }
}
