/**
 * `lazaret audit verify` and `lazaret audit export` as a real process against a real server:
 * exit 0 on an untouched chain, exit 1 naming the entry after a row is modified in the
 * database; the export written to a file re-verifies offline (`--file`), and a line changed
 * in it is named; a bad --since is the registry's 400 on one line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, adminAuth, startTokenServer } from './helpers/identities.ts';
import { rawSqlite } from './helpers/raw-db.ts';
import type { TestServer } from './helpers/server.ts';

const BIN = fileURLToPath(new URL('../bin/lazaret.js', import.meta.url));

function lazaret(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('lazaret audit verify / export', () => {
  let s: TestServer;
  let env: Record<string, string>;
  let dir: string;

  before(async () => {
    s = await startTokenServer();
    env = { LAZARET_REGISTRY: s.url, LAZARET_USERNAME: 'admin', LAZARET_PASSWORD: ADMIN_PASSWORD };
    dir = mkdtempSync(join(tmpdir(), 'lazaret-audit-cli-'));
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${s.url}/api/v1/quarantine/rescan`, { method: 'POST', headers: { authorization: adminAuth(), 'content-type': 'application/json' }, body: JSON.stringify({ repository: `team/cli-${i}` }) });
      assert.equal(res.status, 200);
    }
  });
  after(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an untouched chain: exit 0 with the count and the head', async () => {
    const r = await lazaret(['audit', 'verify'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^the audit chain verifies: 5 entries, head seq 5 \(entry [0-9a-f-]{36}\) hash [0-9a-f]{64}\n$/);
    const asJson = await lazaret(['audit', 'verify', '-o', 'json'], env);
    assert.equal(JSON.parse(asJson.stdout).ok, true);
  });

  test('export to a file re-verifies offline; a line changed in the file is named', async () => {
    const r = await lazaret(['audit', 'export'], env);
    assert.equal(r.code, 0, r.stderr);
    const file = join(dir, 'audit.jsonl');
    writeFileSync(file, r.stdout);
    assert.equal(r.stdout.trimEnd().split('\n').length, 5);
    const offline = await lazaret(['audit', 'verify', '--file', file], {});
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stdout, new RegExp(`^${file.replace(/[.]/g, '\\.')} verifies: 5 entries`));

    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const third = JSON.parse(lines[2]!);
    lines[2] = JSON.stringify({ ...third, target: 'team/other' });
    writeFileSync(file, `${lines.join('\n')}\n`);
    const broken = await lazaret(['audit', 'verify', '--file', file], {});
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, new RegExp(`is broken at entry ${third.id} \\(seq 3\\): hash-mismatch: entry ${third.id} \\(seq 3\\) was modified`));

    const since = await lazaret(['audit', 'export', '--since', new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)], env);
    assert.equal(since.code, 0, since.stderr);
    assert.equal(since.stdout, '');
  });

  test('a row modified in the database: exit 1 naming the entry', async () => {
    const db = rawSqlite(s.dataDir);
    const { id } = db.prepare('select id from audit where seq = 2').get() as { id: string };
    db.prepare(`update audit set target = 'team/forged' where seq = 2`).run();
    db.close();
    const r = await lazaret(['audit', 'verify'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^the audit chain is broken at entry ${id} \\(seq 2\\): hash-mismatch: `));
  });

  test('a bad --since is the registry refusal on one line; without credentials, UNAUTHORIZED', async () => {
    const r = await lazaret(['audit', 'export', '--since', 'last tuesday'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: 400 BAD_REQUEST: since must be a date/);
    const anonymous = await lazaret(['audit', 'verify'], { LAZARET_REGISTRY: s.url });
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /401 UNAUTHORIZED/);
  });
});
