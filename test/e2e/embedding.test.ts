import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const serverIndex = fileURLToPath(new URL('../../server/dist/index.js', import.meta.url))

/** Runs an ES module that embeds `@ferry/server`; resolves with how it ended and what it printed. */
async function runEmbedding(source: string, env: Record<string, string>, timeoutMs = 20_000) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    env: { ...process.env, FERRY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const [code, signal] = await once(child, 'exit')
  clearTimeout(timer)
  return { code, signal, output }
}

describe('createFerryServer, embedded in an app of its own', () => {
  it('serves an upload through fetch, and once closed leaves nothing that keeps the process alive', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ferry-embedded-'))
    // No process.exit: the process must end by itself once Ferry is closed.
    const result = await runEmbedding(
      `
      import { createFerryServer, createLogger, loadConfig } from ${JSON.stringify(serverIndex)}
      const config = loadConfig(process.env)
      const ferry = await createFerryServer({ config, logger: createLogger('warn'), authenticate: async () => ({ userId: 'embedded' }) })
      await ferry.start()
      const created = await ferry.app.fetch(new Request('http://app.test/files/', {
        method: 'POST',
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '3', 'Upload-Metadata': 'filename YS50eHQ=' },
      }))
      const patched = await ferry.fetch(new Request(created.headers.get('location'), {
        method: 'PATCH',
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
        body: 'abc',
      }))
      console.log('statuses', created.status, patched.status)
      await ferry.close()
      `,
      { FERRY_DATA_DIR: dataDir, FERRY_PROCESSING: 'false' },
    )
    expect(result, result.output).toMatchObject({ code: 0, signal: null })
    expect(result.output).toContain('statuses 201 20')
  })

  it('closes what it built when start-up fails half-way, so the process ends with the error', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ferry-embedded-'))
    // A webhook outbox entry that is not JSON: the dispatcher refuses to start.
    await mkdir(path.join(dataDir, 'webhooks', 'outbox'), { recursive: true })
    await writeFile(path.join(dataDir, 'webhooks', 'outbox', 'broken.json'), '{ not json')
    const result = await runEmbedding(
      `
      import { createFerryServer, createLogger, loadConfig } from ${JSON.stringify(serverIndex)}
      try {
        await createFerryServer({ config: loadConfig(process.env), logger: createLogger('warn') })
        console.log('started')
      } catch (error) {
        console.log('refused:', error.message)
      }
      `,
      {
        FERRY_DATA_DIR: dataDir,
        FERRY_PROCESSING: 'false',
        FERRY_WEBHOOK_URLS: 'http://127.0.0.1:47/hook',
        FERRY_WEBHOOK_SECRET: 'a-secret-of-sixteen-chars',
      },
    )
    expect(result, result.output).toMatchObject({ code: 0, signal: null })
    expect(result.output).toContain('refused:')
  })
})
