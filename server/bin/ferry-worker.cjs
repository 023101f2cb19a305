#!/usr/bin/env node
// The ferry-worker command; a CommonJS launcher for the reason ferry-server.cjs gives: image jobs
// and file I/O share libuv's threadpool, sized before the ES module loader first uses it.
process.env.UV_THREADPOOL_SIZE ??= '16'
import('../dist/worker.js')
