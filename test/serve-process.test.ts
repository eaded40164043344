/**
 * `lazaret serve` as a process (bin/lazaret.js, what a supervisor runs): a busy port ends it
 * at once, non-zero, before any background worker started (their timers would otherwise keep
 * a process that serves nothing alive); SIGINT and SIGTERM stop it cleanly with exit 0; a
 * start prints no deprecation warning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServer } from './helpers/spawn-server.ts';

const BIN = fileURLToPath(new URL('../bin/lazaret.js', import.meta.url));

function baseEnv(dataDir: string): Record<string, string> {
  return { LAZARET_DATA_DIR: dataDir, LAZARET_ADMIN_PASSWORD: 'serve-process-admin' };
}

/** Runs `lazaret serve` to its end (or kills it after `limitMs`, which fails the test). */
function runToExit(env: Record<string, string>, limitMs = 90_000): Promise<{ code: number | null; signal: string | null; output: string }> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LAZARET_LOG_LEVEL: 'info', LAZARET_WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, output });
    }),
  );
}

test('a busy port: the second `lazaret serve` exits non-zero by itself, having served and started nothing', async () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'lazaret-serve-a-')), mkdtempSync(join(tmpdir(), 'lazaret-serve-b-'))];
  const first = await spawnServer(baseEnv(dirs[0]!), 90_000);
  try {
    const port = new URL(first.url).port;
    const second = await runToExit({ ...baseEnv(dirs[1]!), LAZARET_LISTEN: `127.0.0.1:${port}` });
    assert.equal(second.signal, null, `it had to be killed; it should have exited by itself:\n${second.output}`);
    assert.equal(second.code, 1, second.output);
    assert.match(second.output, /EADDRINUSE/);
    assert.doesNotMatch(second.output, /lazaret is listening/);
    // The first one is untouched.
    assert.equal((await fetch(`${first.url}/healthz`)).status, 200);
  } finally {
    await first.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} stops \`lazaret serve\` cleanly (exit 0); the start printed no deprecation warning`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-serve-sig-'));
    const server = await spawnServer(baseEnv(dataDir), 90_000);
    try {
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
      server.process.kill(signal);
      assert.equal(await exited, 0);
      const log = server.output.join('\n');
      assert.match(log, /"msg":"stopped"/);
      assert.doesNotMatch(log, /DeprecationWarning|FSTDEP|ExperimentalWarning/);
    } finally {
      await server.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
