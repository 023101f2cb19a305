// Child servers for bench/sdk-browser.mjs and the resident memory of processes, read from /proc.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const ferryMain = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url))
const peerScript = fileURLToPath(new URL('peerServer.mjs', import.meta.url))

/** A port that was free a moment ago on 127.0.0.1. */
async function freePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
async function stopChild(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/** The Ferry reference server on a disk store, post-processing off; resolves once /healthz answers. */
export async function startFerryServer(dataDirectory) {
  const port = await freePort()
  const child = spawn(process.execPath, [ferryMain], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      FERRY_DATA_DIR: dataDirectory,
      FERRY_PROCESSING: 'false',
      FERRY_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const origin = `http://127.0.0.1:${port}`
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`ferry server exited with ${child.exitCode}`)
    try {
      if ((await fetch(`${origin}/healthz`)).ok) break
    } catch {
      // not listening yet
    }
    if (attempt === 200) {
      await stopChild(child)
      throw new Error('ferry server did not answer /healthz within 20 s')
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { origin, pid: child.pid, stop: () => stopChild(child) }
}

/** A stock peer from peerServer.mjs (`tus` or `put`) writing to `directory`. */
export async function startPeerServer(kind, directory) {
  const child = spawn(process.execPath, [peerScript, kind, directory], { stdio: ['ignore', 'pipe', 'inherit'] })
  const stop = () => stopChild(child)
  const port = await new Promise((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
      if (output.includes('\n')) resolve(Number(output.split('\n')[0]))
    })
    child.once('exit', (code) => reject(new Error(`${kind} peer exited with ${code}`)))
  })
  child.stdout.resume()
  return { origin: `http://127.0.0.1:${port}`, pid: child.pid, stop }
}

/** Resident set size of a process in bytes, or 0 once it is gone. */
export function residentBytes(pid) {
  try {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return kib ? Number(kib[1]) * 1024 : 0
  } catch {
    return 0
  }
}

/** Every process under `rootPid` (children, their children, …) with its command line. */
export function descendants(rootPid) {
  const children = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (!children.has(parent)) children.set(parent, [])
      children.get(parent).push(Number(entry))
    } catch {
      // exited while we looked
    }
  }
  const found = []
  const pending = [...(children.get(rootPid) ?? [])]
  while (pending.length > 0) {
    const pid = pending.pop()
    pending.push(...(children.get(pid) ?? []))
    try {
      found.push({ pid, commandLine: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ') })
    } catch {
      // exited while we looked
    }
  }
  return found
}

/** Processes under `rootPid` whose command line contains `marker` (for example `--type=renderer`). */
export function descendantsMatching(rootPid, marker) {
  return descendants(rootPid)
    .filter(({ commandLine }) => commandLine.includes(marker))
    .map(({ pid }) => pid)
}

/**
 * CPU seconds (user + system) that a process has used so far, its exited threads included (a
 * finished Web Worker's, for one); 0 once it is gone. `/proc` counts in USER_HZ, 100 on Linux.
 */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}
