#!/usr/bin/env node
// The `lazaret` command. The sources are TypeScript run through tsx's loader, so there is no
// build output that can drift from the code in src/.
//
// libuv's thread pool (4 threads by default) runs every fs call, every fsync and every
// WebCrypto job; a registry waits on it more than it computes (bench/README.md: small pushes
// doubled with 16 threads). libuv reads UV_THREADPOOL_SIZE once, when the pool is first used,
// so this must run before any asynchronous file operation: that is why this file is CommonJS
// (bin/package.json): Node reads a CommonJS entry synchronously, an ES module entry through the
// pool. An operator's own setting wins.
'use strict';
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '16';

import('tsx/esm/api')
  .then(({ register }) => {
    register();
    return import('../src/cli/index.ts');
  })
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
