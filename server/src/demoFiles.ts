import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { DemoFiles } from './app.js'

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url))

/**
 * The demo page (examples/script-tag) and the SDK's UMD bundle beside it, when this server runs
 * from the Ferry repository. Returns `undefined` when the page is not there (an installed server).
 */
export function findDemoFiles(root = repositoryRoot): DemoFiles | undefined {
  const page = `${root}examples/script-tag/index.html`
  if (!existsSync(page)) return undefined
  const javascript = 'text/javascript; charset=utf-8'
  return {
    page,
    assets: {
      '/ferry.umd.min.js': { file: `${root}packages/sdk/dist/ferry.umd.min.js`, type: javascript },
      '/ferry.umd.min.js.map': {
        file: `${root}packages/sdk/dist/ferry.umd.min.js.map`,
        type: 'application/json',
      },
    },
  }
}
