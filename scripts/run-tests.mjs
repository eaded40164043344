#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's own test runner (tsx as the loader).
// Node 20's `--test` does not expand globs, so the file list is built here. Arguments narrow
// the run: `npm test -- src/oci` runs only files whose path contains "src/oci".
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function collect(dir, out) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) collect(full, out);
    else if (entry.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}

const files = ['src', 'test']
  .flatMap((d) => collect(join(root, d), []))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();

if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}

const typecheck = spawnSync('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
if (typecheck.status !== 0) {
  console.error('run-tests: type check failed');
  process.exit(typecheck.status ?? 1);
}

// The linter (Biome, rules in biome.json; no formatter) and the import boundaries
// (scripts/check-boundaries.mjs): a breach fails the run like a failing test.
// A node_modules from before Biome was added lacks it: outside CI that skips the linter with a
// warning (run `npm ci`); under CI=true nothing may skip.
const biome = join(root, 'node_modules/.bin/biome');
let lint = { status: 0 };
if (existsSync(biome)) lint = spawnSync(biome, ['lint', '--max-diagnostics=50', '.'], { cwd: root, stdio: 'inherit' });
else if (process.env.CI === 'true') lint = { status: 1 };
else console.error('run-tests: WARNING: the linter is not installed (node_modules/.bin/biome); run `npm ci` to install @biomejs/biome');
const boundaries = spawnSync(process.execPath, [join(root, 'scripts/check-boundaries.mjs')], { cwd: root, stdio: 'inherit' });
if (lint.status !== 0 || boundaries.status !== 0) {
  console.error('run-tests: lint or import boundaries failed (npm run lint)');
  process.exit(1);
}

// Tests that run the `lazaret` binary (bin/lazaret.js) run the compiled build, as production
// does: rebuild it from the sources under test (well under a second on a quiet machine).
const built = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) {
  console.error('run-tests: build failed');
  process.exit(built.status ?? 1);
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, LAZARET_LOG_LEVEL: process.env.LAZARET_LOG_LEVEL ?? 'silent' } },
);
process.exit(result.status ?? 1);
