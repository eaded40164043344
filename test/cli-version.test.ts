/** `lazaret --version` prints the package version and exits 0. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/lazaret.js', import.meta.url));

test('lazaret --version', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, '--version'], { timeout: 60_000 });
  assert.equal(stdout.trim(), version);
});
