import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { selectedStores } from '../helpers/stores.js'
import { type LocalS3, startLocalS3, stopLocalS3 } from './localS3.js'

declare module 'vitest' {
  export interface ProvidedContext {
    s3: LocalS3
  }
}

/**
 * Global setup of the e2e project: real services for real tests, stopped afterwards. The run's
 * temporary files (data directories, generated files, browser profiles: gigabytes) go to one
 * directory of its own, through TMPDIR, which test processes and the servers and browsers they
 * start inherit; it is removed at the end.
 */
export default async function setup(project: TestProject) {
  const scratch = await mkdtemp(path.join(tmpdir(), 'ferry-e2e-run-'))
  process.env.TMPDIR = scratch
  const s3 = selectedStores().includes('s3')
  if (s3) project.provide('s3', await startLocalS3())
  return async () => {
    if (s3) await stopLocalS3()
    await rm(scratch, { recursive: true, force: true })
  }
}
