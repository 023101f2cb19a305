/** The hash worker's bundled JavaScript, provided by the build (rollup.config.mjs). */
declare module 'ferry:hash-worker-source' {
  const source: string
  export default source
}
