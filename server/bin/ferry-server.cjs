#!/usr/bin/env node
// The ferry-server command. CommonJS, so that this line runs before Node's ES module loader first
// uses libuv's threadpool, whose size is fixed when it starts. sharp runs each image step on that
// pool, which file I/O shares: with its default 4 threads, two large photos being processed held
// every disk read and write of the server (an upload, `GET /api/files/:id`) for 6–10 s; with 16,
// by 0.3–0.6 s. An explicit UV_THREADPOOL_SIZE is kept.
process.env.UV_THREADPOOL_SIZE ??= '16'
import('../dist/main.js')
