// Checks @ferry/sdk as npm would publish it. It builds nothing: run `npm run build` first.
//
// 1. packs the SDK with `npm pack` into a temporary folder and lists what the tarball holds;
// 2. reads every entry point in the tarball and fails on an import the package cannot satisfy: the
//    ESM, CJS and declaration files may name only the SDK's own `dependencies` (so the private
//    `@ferry/protocol` must have been inlined), and the UMD bundles nothing at all;
// 3. compiles a small consumer against the unpacked package with `skipLibCheck: false`, as an ES
//    module and as CommonJS under node16 resolution and under bundler resolution, so the bundled
//    declarations must hold together on their own (attw checks resolution, not the types' content);
// 4. measures the minified UMD bundle at gzip level 9 against its budget;
// 5. publint, strict (warnings fail too), on the package folder, packed the same way by npm;
// 6. are-the-types-wrong on the tarball, strict profile: node10, node16 from CJS, node16 from ESM
//    and bundler resolution must all be green (the `node16` profile would skip node10, which `main`
//    and `types` serve, so strict is the stronger check for a package that ships ESM and CJS).
//
// Every check runs even when an earlier one fails; the exit code is non-zero if any failed.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import ts from 'typescript'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const sdkName = '@ferry/sdk'
const sdkDirectory = path.join(root, 'packages/sdk')
const bin = (name) => path.join(root, 'node_modules/.bin', name)
const UMD_MIN = 'dist/ferry.umd.min.js'
const UMD_MIN_GZIP_BUDGET = 40 * 1024

const failures = []
function fail(message) {
  failures.push(message)
  console.log(`  FAIL ${message}`)
}
function pass(message) {
  console.log(`  ok   ${message}`)
}
function heading(title) {
  console.log(`\n== ${title}`)
}
/** Runs a command with its output shown as it comes; returns whether it exited 0. */
function run(command, args, options = {}) {
  const shown = (arg) => (arg.startsWith(`${root}${path.sep}`) ? path.relative(root, arg) : arg)
  console.log(`$ ${[command, ...args].map(shown).join(' ')}`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options })
  if (result.error) console.log(`  ${result.error.message}`)
  return result.status === 0
}

/** Module names a file imports or requires, comments and strings aside (TypeScript's scanner). */
function importedModules(source) {
  const { importedFiles } = ts.preProcessFile(source, true, true)
  return [...new Set(importedFiles.map((file) => file.fileName))]
}
const isBuiltin = (name) => name.startsWith('node:') || builtinModules.includes(name)
const packageOf = (name) => name.split('/').slice(0, name.startsWith('@') ? 2 : 1).join('/')

async function checkSelfContained(packageDirectory, manifest) {
  heading('Imports of the packed entry points')
  const dependencies = new Set(
    ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((field) =>
      Object.keys(manifest[field] ?? {}),
    ),
  )
  for (const name of dependencies) {
    if (name.startsWith('@ferry/')) fail(`"${name}" is a dependency; it should be inlined`)
  }
  const targets = (entry) =>
    typeof entry === 'string' ? [entry] : Object.values(entry ?? {}).flatMap(targets)
  const entryPoints = new Set(
    [manifest.main, manifest.module, manifest.types, ...targets(manifest.exports?.['.'])]
      .filter(Boolean)
      .map((file) => path.normalize(file)),
  )
  for (const file of entryPoints) {
    const source = await readFile(path.join(packageDirectory, file), 'utf8').catch(() => null)
    if (source === null) {
      fail(`${file} is named in package.json but not in the tarball`)
      continue
    }
    const names = importedModules(source)
    const unmet = names.filter((name) => !isBuiltin(name) && !dependencies.has(packageOf(name)))
    if (unmet.length) fail(`${file} imports ${unmet.join(', ')}, not among the dependencies`)
    else pass(`${file} imports only ${names.length ? names.join(', ') : 'nothing'}`)
  }
  // The UMD bundles are for a <script> tag: nothing may be left for a loader to find.
  const amdSpecials = new Set(['exports', 'module', 'require'])
  for (const file of ['dist/ferry.umd.js', UMD_MIN]) {
    const names = importedModules(await readFile(path.join(packageDirectory, file), 'utf8'))
    const unmet = names.filter((name) => !amdSpecials.has(name))
    if (unmet.length) fail(`${file} leaves ${unmet.join(', ')} to a module loader`)
    else pass(`${file} bundles all it needs`)
  }
}

/** Uses of the public API; a consumer's view, compiled against the packed declarations only. */
const consumerSources = {
  'esm.mts': `import { FerryError, FerryUpload, upload } from '@ferry/sdk'
import type { ProcessingManifest, UploadOptions } from '@ferry/sdk'
const options: UploadOptions = { endpoint: '/files/' }
const pending: FerryUpload = new FerryUpload(new Blob(['ferry']), options)
const manifest: ProcessingManifest | undefined = undefined
export { FerryError, manifest, pending, upload }
`,
  'cjs.cts': `import sdk = require('@ferry/sdk')
import type { FileDescription } from '@ferry/sdk'
const file: FileDescription | undefined = undefined
export = { file, hasher: sdk.WorkerHasher, error: sdk.FerryError }
`,
}

async function checkConsumerCompiles(consumer) {
  heading('A TypeScript consumer compiles against the packed declarations (skipLibCheck: false)')
  const modules = path.join(consumer, 'node_modules')
  await mkdir(path.join(modules, '@types'), { recursive: true })
  // The SDK's dependencies, as a consumer's install would bring them (tus-js-client's types use
  // Node's).
  for (const name of ['tus-js-client', '@types/node']) {
    await symlink(path.join(root, 'node_modules', name), path.join(modules, name), 'dir')
  }
  await writeFile(path.join(consumer, 'package.json'), '{ "private": true, "type": "module" }\n')
  for (const [file, source] of Object.entries(consumerSources)) {
    await writeFile(path.join(consumer, file), source)
  }
  const common = ['--noEmit', '--strict', '--skipLibCheck', 'false', '--target', 'ES2022']
  const setups = [
    ['node16', ['--module', 'node16', '--moduleResolution', 'node16'], ['esm.mts', 'cjs.cts']],
    ['bundler', ['--module', 'esnext', '--moduleResolution', 'bundler'], ['esm.mts']],
  ]
  for (const [name, options, files] of setups) {
    const args = [...common, ...options, '--lib', 'ES2022,DOM', '--types', 'node', ...files]
    if (run(bin('tsc'), args, { cwd: consumer })) pass(`${name}: ${files.join(', ')}`)
    else fail(`the consumer does not compile under ${name} resolution`)
  }
}

async function checkUmdSize(packageDirectory) {
  heading(`Size of ${UMD_MIN}`)
  const code = await readFile(path.join(packageDirectory, UMD_MIN))
  const gzipped = gzipSync(code, { level: 9 }).length
  const kilobytes = (gzipped / 1024).toFixed(1)
  const budget = `budget ${UMD_MIN_GZIP_BUDGET} bytes`
  const summary = `${code.length} bytes, ${gzipped} bytes gzip -9 (${kilobytes} kB), ${budget}`
  if (gzipped > UMD_MIN_GZIP_BUDGET) fail(summary)
  else pass(summary)
}

async function main() {
  if (!existsSync(path.join(sdkDirectory, 'dist'))) {
    console.error('check-package: packages/sdk/dist is missing; run `npm run build` first')
    return 1
  }
  const scratch = await mkdtemp(path.join(tmpdir(), 'ferry-check-package-'))
  try {
    heading(`npm pack ${sdkName}`)
    const packArgs = ['pack', '--workspace', sdkName, '--pack-destination', scratch, '--json']
    const packed = spawnSync('npm', [...packArgs, '--loglevel', 'error'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    if (packed.status !== 0) {
      console.error('check-package: npm pack failed')
      return 1
    }
    const [tarball] = JSON.parse(packed.stdout)
    const tarballPath = path.join(scratch, tarball.filename)
    const { filename, entryCount, size, unpackedSize, files } = tarball
    console.log(`${filename}: ${entryCount} files, ${size} bytes packed, ${unpackedSize} unpacked`)
    for (const file of files) console.log(`  ${String(file.size).padStart(8)}  ${file.path}`)

    // Unpacked where a consumer's install would put it, for the consumer compile below.
    const consumer = path.join(scratch, 'consumer')
    const packageDirectory = path.join(consumer, 'node_modules', sdkName)
    await mkdir(packageDirectory, { recursive: true })
    const untarArgs = ['-xzf', tarballPath, '-C', packageDirectory, '--strip-components=1']
    const untar = spawnSync('tar', untarArgs, { stdio: 'inherit' })
    if (untar.status !== 0) {
      console.error('check-package: could not extract the tarball')
      return 1
    }
    const manifest = JSON.parse(await readFile(path.join(packageDirectory, 'package.json'), 'utf8'))

    await checkSelfContained(packageDirectory, manifest)
    await checkConsumerCompiles(consumer)
    await checkUmdSize(packageDirectory)

    heading('publint (strict)')
    const publintArgs = ['run', sdkDirectory, '--strict', '--pack', 'npm']
    if (!run(bin('publint'), publintArgs)) fail('publint found problems')

    heading('are-the-types-wrong (profile strict)')
    // The SDK ships its own types; --no-definitely-typed keeps attw from looking for @types online.
    const attwArgs = [tarballPath, '--profile', 'strict', '--no-definitely-typed']
    attwArgs.push('--format', 'table-flipped')
    if (!run(bin('attw'), attwArgs, { env: { ...process.env, FORCE_COLOR: '0' } })) {
      fail('are-the-types-wrong found problems')
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }

  heading('Result')
  if (failures.length) {
    console.log(`${failures.length} check(s) failed:`)
    for (const failure of failures) console.log(`  - ${failure}`)
    return 1
  }
  console.log(`${sdkName}: self-contained, compiles for consumers, UMD in budget, all green`)
  return 0
}

process.exitCode = await main()
