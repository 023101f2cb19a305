import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const scripts = fileURLToPath(new URL('../../scripts/s3/', import.meta.url))

export interface LocalS3 {
  endpoint: string
  region: string
  accessKeyId: string
  secretAccessKey: string
}

const TEST_PORT = process.env.FERRY_TEST_S3_PORT ?? '8381'
const stateDirectory = process.env.FERRY_TEST_S3_STATE_DIR ?? '/tmp/ferry-test-s3'

/** Starts the local OpenStack Swift (s3api) used by the tests; see scripts/s3/start.sh. */
export async function startLocalS3(): Promise<LocalS3> {
  try {
    await run('bash', [`${scripts}start.sh`, stateDirectory], {
      env: {
        ...process.env,
        FERRY_S3_PORT: TEST_PORT,
        FERRY_S3_MEMCACHED_PORT: '11312',
        FERRY_S3_ACCOUNT_PORT: '6212',
        FERRY_S3_CONTAINER_PORT: '6211',
        FERRY_S3_OBJECT_PORT: '6210',
      },
    })
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(`the local S3 server (OpenStack Swift) did not start:\n${stderr}${stdout}`)
  }
  return {
    endpoint: `http://127.0.0.1:${TEST_PORT}`,
    region: 'us-east-1',
    accessKeyId: 'test:tester',
    secretAccessKey: 'testing',
  }
}

export async function stopLocalS3(): Promise<void> {
  await run('bash', [`${scripts}stop.sh`, stateDirectory])
}
