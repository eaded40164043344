#!/usr/bin/env node
// The `lazaret` command. It runs the compiled build, dist/lazaret.js (`npm run build`, which
// `npm install` runs through `prepare`, and `npm test` and `npm run bench` run first), so the
// TypeScript loader is not loaded at run time. In a checkout without a build, or with
// LAZARET_FROM_SOURCE=1, it runs src/ through tsx instead (after editing src/, either rebuild
// or set that variable: the build is not rebuilt behind your back).
//
// libuv's thread pool (4 threads by default) runs every fs call, every fsync and every
// WebCrypto job; a registry waits on it more than it computes (bench/README.md: small pushes
// doubled with 16 threads). libuv reads UV_THREADPOOL_SIZE once, when the pool is first used,
// so this must run before any asynchronous file operation: that is why this file is CommonJS
// (bin/package.json): Node reads a CommonJS entry synchronously, an ES module entry through the
// pool. An operator's own setting wins.
'use strict';
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '16';

// V8 grows its young generation (two semi-spaces, 1 MiB each at start) up to 16 MiB each when
// many objects survive, as they do while modules load at start; it never gives it back, so an
// idle registry kept ~25 MiB of touched young-generation pages. A registry's garbage is
// short-lived (per request), so it stays at 1 MiB: in bench/ this cost no measurable CPU per
// request and saved ~25 MiB of RSS idle and at peak (bench/README.md, "Memory"). This flag,
// unlike --max-semi-space-size, still takes effect when set after start. An operator who sets
// the young generation's size in NODE_OPTIONS or on the command line keeps their setting.
if (!/semi-space/.test(`${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`)) {
  require('node:v8').setFlagsFromString('--semi-space-growth-factor=1');
}

// V8 lets the old generation grow to up to 4x what survived its last full collection before it
// collects again, and keeps the pages it grew into: a registry whose live heap is ~25 MiB sat
// at 70-100 MiB of heap (RSS 145-185 MiB) after a burst of pushes and logins. Growing by 30%
// per collection held it at ~38 MiB (RSS ~107 MiB) with no measurable CPU per request in
// bench/ (bench/README.md, "Memory: the old generation"). An operator's own setting wins.
if (!/heap-growing-percent/.test(`${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`)) {
  require('node:v8').setFlagsFromString('--heap-growing-percent=30');
}

const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const compiled = join(__dirname, '..', 'dist', 'lazaret.js');
const fromSource = process.env.LAZARET_FROM_SOURCE === '1' || !existsSync(compiled);

(fromSource
  ? import('tsx/esm/api').then(({ register }) => {
      register();
      return import('../src/cli/index.ts');
    })
  : import(pathToFileURL(compiled).href)
).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
