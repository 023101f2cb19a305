// Builds the SDK: ESM and CJS for bundlers and Node (dependencies external), UMD bundles for a
// plain <script> tag (dependencies included, global `Ferry`), and one declaration file per module
// format. The hash worker is bundled first and inlined as a string, so every output carries it and
// no second file has to be served. Workspace packages such as the private `@ferry/protocol` are
// inlined everywhere, JavaScript and types alike: only the SDK's `dependencies` stay external.
import { readFileSync } from 'node:fs'
import commonjs from '@rollup/plugin-commonjs'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import typescript from '@rollup/plugin-typescript'
import { rollup } from 'rollup'
import { dts } from 'rollup-plugin-dts'

const sdk = 'packages/sdk'
const typescriptOptions = {
  tsconfig: `${sdk}/tsconfig.json`,
  // tsc -b emits the declarations; rollup only needs JavaScript.
  compilerOptions: {
    module: 'ESNext',
    moduleResolution: 'Bundler',
    declaration: false,
    declarationMap: false,
    composite: false,
    emitDeclarationOnly: false,
    outDir: undefined,
    rootDir: undefined,
  },
  outputToFilesystem: false,
}
const workerTypescriptOptions = {
  ...typescriptOptions,
  compilerOptions: { ...typescriptOptions.compilerOptions, sourceMap: false },
}

const WORKER_SOURCE = 'ferry:hash-worker-source'

/** Resolves `ferry:hash-worker-source` to the minified hash worker, as a string. */
export function inlineHashWorker() {
  let cached
  return {
    name: 'ferry-inline-hash-worker',
    resolveId: (id) => (id === WORKER_SOURCE ? `\0${WORKER_SOURCE}` : null),
    async load(id) {
      if (id !== `\0${WORKER_SOURCE}`) return null
      cached ??= buildWorker()
      return `export default ${JSON.stringify(await cached)}`
    },
  }
}

async function buildWorker() {
  const bundle = await rollup({
    input: `${sdk}/src/hash/hashWorker.ts`,
    plugins: [nodeResolve({ browser: true }), typescript(workerTypescriptOptions), terser()],
  })
  const { output } = await bundle.generate({ format: 'iife' })
  await bundle.close()
  return output[0].code
}

const sdkPackage = JSON.parse(readFileSync(`${sdk}/package.json`, 'utf8'))
const dependencies = Object.keys({ ...sdkPackage.dependencies, ...sdkPackage.peerDependencies })
/** A dependency of the published SDK, or a subpath of one (`tus-js-client/lib/...`). */
const external = (id) => dependencies.some((name) => id === name || id.startsWith(`${name}/`))
const browserPlugins = () => [
  inlineHashWorker(),
  nodeResolve({ browser: true }),
  commonjs(),
  typescript(typescriptOptions),
]

export default [
  {
    input: `${sdk}/src/index.ts`,
    external,
    plugins: [inlineHashWorker(), nodeResolve(), typescript(typescriptOptions)],
    output: [
      { file: `${sdk}/dist/ferry.mjs`, format: 'es', sourcemap: true },
      { file: `${sdk}/dist/ferry.cjs`, format: 'cjs', sourcemap: true, exports: 'named' },
    ],
  },
  {
    input: `${sdk}/src/bundle.ts`,
    plugins: browserPlugins(),
    output: [
      { file: `${sdk}/dist/ferry.umd.js`, format: 'umd', name: 'Ferry', sourcemap: true },
      {
        file: `${sdk}/dist/ferry.umd.min.js`,
        format: 'umd',
        name: 'Ferry',
        sourcemap: true,
        plugins: [terser()],
      },
    ],
  },
  {
    // The declarations `tsc -b` emitted, bundled into one file, @ferry/protocol's types inlined.
    // The same text serves both formats: `.d.ts` is read as ESM beside ferry.mjs and `.d.cts` as
    // CommonJS beside ferry.cjs, as TypeScript's node16 resolution requires. `respectExternal`
    // lets `external` alone decide: by default the plugin keeps whatever resolves through
    // node_modules external, the workspace link to @ferry/protocol included.
    input: `${sdk}/dist/types/index.d.ts`,
    external,
    plugins: [dts({ respectExternal: true })],
    output: [
      { file: `${sdk}/dist/index.d.ts`, format: 'es' },
      { file: `${sdk}/dist/index.d.cts`, format: 'es' },
    ],
  },
]
