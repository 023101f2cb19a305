import { execFile } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { freePort } from '../helpers/serverProcess.js'

const run = promisify(execFile)
const scripts = fileURLToPath(new URL('../../scripts/s3/', import.meta.url))

export interface LocalS3 {
  endpoint: string
  region: string
  accessKeyId: string
  secretAccessKey: string
}

// Each test run gets its own ports and state, so two runs on one machine never share (or stop)
// each other's server; FERRY_TEST_S3_PORT pins the endpoint port when one must be known.
const stateDirectory = process.env.FERRY_TEST_S3_STATE_DIR ?? `/tmp/ferry-test-s3-${process.pid}`

/** Starts the local OpenStack Swift (s3api) used by the tests; see scripts/s3/start.sh. */
export async function startLocalS3(): Promise<LocalS3> {
  const port = process.env.FERRY_TEST_S3_PORT ?? String(await freePort())
  try {
    await run('bash', [`${scripts}start.sh`, stateDirectory], {
      env: {
        ...process.env,
        FERRY_S3_PORT: port,
        FERRY_S3_MEMCACHED_PORT: String(await freePort()),
        FERRY_S3_ACCOUNT_PORT: String(await freePort()),
        FERRY_S3_CONTAINER_PORT: String(await freePort()),
        FERRY_S3_OBJECT_PORT: String(await freePort()),
      },
    })
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(`the local S3 server (OpenStack Swift) did not start:\n${stderr}${stdout}`)
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    accessKeyId: 'test:tester',
    secretAccessKey: 'testing',
  }
}

export async function stopLocalS3(): Promise<void> {
  await run('bash', [`${scripts}stop.sh`, stateDirectory])
  if (!process.env.FERRY_TEST_S3_STATE_DIR) await rm(stateDirectory, { recursive: true, force: true })
}
