import type { TestProject } from 'vitest/node'
import { selectedStores } from '../helpers/stores.js'
import { type LocalS3, startLocalS3, stopLocalS3 } from './localS3.js'

declare module 'vitest' {
  export interface ProvidedContext {
    s3: LocalS3
  }
}

/** Global setup of the e2e project: real services for real tests, stopped afterwards. */
export default async function setup(project: TestProject) {
  if (!selectedStores().includes('s3')) return
  project.provide('s3', await startLocalS3())
  return async () => {
    await stopLocalS3()
  }
}
