/** The UMD entry: everything in `index.ts`, as the global `Ferry`. */
export * from './index.js'
