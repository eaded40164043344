import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheControlOf, contentTypeOf, resolveStaticFile } from './static-files.ts';

test('resolveStaticFile serves plain paths inside dist and nothing else', () => {
  const root = mkdtempSync(join(tmpdir(), 'lazaret-static-'));
  try {
    const dist = join(root, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html>');
    writeFileSync(join(dist, 'assets', 'app-1.js'), 'x');
    writeFileSync(join(root, 'secret.txt'), 'secret');
    assert.equal(resolveStaticFile(dist, 'index.html')?.size, 15);
    assert.equal(resolveStaticFile(dist, 'assets/app-1.js')?.path, join(dist, 'assets', 'app-1.js'));
    for (const bad of ['', '../secret.txt', 'assets/../../secret.txt', './index.html', 'assets//app-1.js', '/etc/passwd', 'assets', 'a\\b', 'index.html\0', '%2e%2e/secret.txt', 'nope.js']) {
      assert.equal(resolveStaticFile(dist, bad), null, JSON.stringify(bad));
    }
    // A link inside dist that leads outside it is refused; one that stays inside is served.
    symlinkSync(join(root, 'secret.txt'), join(dist, 'link.txt'));
    assert.equal(resolveStaticFile(dist, 'link.txt'), null);
    symlinkSync(join(dist, 'index.html'), join(dist, 'inner.html'));
    assert.ok(resolveStaticFile(dist, 'inner.html'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('content types and cache policy', () => {
  assert.equal(contentTypeOf('a/b.js'), 'text/javascript; charset=utf-8');
  assert.equal(contentTypeOf('x.CSS'), 'text/css; charset=utf-8');
  assert.equal(contentTypeOf('index.html'), 'text/html; charset=utf-8');
  assert.equal(contentTypeOf('favicon.svg'), 'image/svg+xml');
  assert.equal(contentTypeOf('blob.bin'), 'application/octet-stream');
  assert.equal(cacheControlOf('assets/index-abc.js'), 'public, max-age=31536000, immutable');
  assert.equal(cacheControlOf('index.html'), 'no-cache');
  assert.equal(cacheControlOf('favicon.svg'), 'public, max-age=3600');
});
