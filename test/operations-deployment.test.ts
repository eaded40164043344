/**
 * The deployment files in docs/: the systemd unit passes `systemd-analyze verify`, the example
 * production configuration passes the configuration schema, and the compiled build runs without
 * the TypeScript loader (the bundle names no tsx and `lazaret --version`-style help works from it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, skipUnless } from './helpers/environment.ts';
import { readConfigFile, validateConfig } from '../src/config/load.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('docs/lazaret.service passes systemd-analyze verify', { skip: skipUnless(hasCommand('systemd-analyze'), 'systemd-analyze not installed') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-unit-'));
  try {
    copyFileSync(join(ROOT, 'docs/lazaret.service'), join(dir, 'lazaret.service'));
    const r = spawnSync('systemd-analyze', ['verify', join(dir, 'lazaret.service')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /lazaret\.service:\d+/, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('docs/production.example.yaml is a valid configuration with TLS, PostgreSQL, S3, a trusted balancer, metrics and tracing', () => {
  const config = validateConfig(readConfigFile(join(ROOT, 'docs/production.example.yaml')));
  assert.ok(config.tls);
  assert.match(config.databaseUrl!, /^postgres:\/\//);
  assert.equal(config.storage.driver, 's3');
  assert.equal(config.storage.s3?.bucket, 'lazaret-blobs');
  assert.ok(config.trustProxy.length > 0);
  assert.ok(config.metrics.listen);
  assert.ok(config.otel.endpoint);
  assert.equal(config.log.format, 'json');
});

test('the compiled build runs without the TypeScript loader', () => {
  const bundle = join(ROOT, 'dist/lazaret.js');
  assert.ok(existsSync(bundle), 'npm test builds dist/ first (scripts/run-tests.mjs)');
  assert.doesNotMatch(readFileSync(bundle, 'utf8'), /from ["']tsx/);
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/lazaret.js'), 'migrate', '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /--dry-run/);
  // The same command through the sources says the same (the build is not stale).
  const s = spawnSync(process.execPath, [join(ROOT, 'bin/lazaret.js'), 'migrate', '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', LAZARET_FROM_SOURCE: '1' } });
  assert.equal(s.stdout, r.stdout);
});
