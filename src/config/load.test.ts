import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'lazaret-config-'));

test('defaults apply when nothing is configured', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.listen, '127.0.0.1:5000');
  assert.equal(c.dataDir, './data');
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.auth.mode, 'token');
  assert.equal(c.storage.fsync, 'data');
});

test('storage.fsync: data, full or off, from the file or LAZARET_STORAGE_FSYNC; anything else is refused', () => {
  const file = join(dir, 'fsync.yaml');
  writeFileSync(file, 'storage:\n  fsync: full\n');
  assert.equal(loadConfig({ file, env: {} }).storage.fsync, 'full');
  assert.equal(loadConfig({ file, env: { LAZARET_STORAGE_FSYNC: 'off' } }).storage.fsync, 'off');
  assert.throws(() => loadConfig({ env: { LAZARET_STORAGE_FSYNC: 'sometimes' } }), (err: unknown) => err instanceof ConfigError && /^storage\.fsync: /m.test(err.problems.join('\n')));
});

test('environment overrides the file, the file overrides defaults', () => {
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'listen: 0.0.0.0:6000\ndataDir: /srv/lazaret\nauth:\n  accessTokenTtlSeconds: 600\n');
  const c = loadConfig({ file, env: { LAZARET_LISTEN: '[::1]:7000', LAZARET_ACCESS_TOKEN_TTL: '900' } });
  assert.equal(c.listen, '[::1]:7000');
  assert.equal(c.dataDir, '/srv/lazaret');
  assert.equal(c.auth.accessTokenTtlSeconds, 900);
});

test('errors name the offending field', () => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ listen: 'nope', auth: { mode: 'basic' }, unknownKey: 1 }));
  assert.throws(() => loadConfig({ file, env: {} }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    assert.match(text, /^listen: /m);
    assert.match(text, /^auth\.mode: /m);
    assert.match(text, /unknownKey/);
    return true;
  });
});
