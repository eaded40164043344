/**
 * The operator's commands of the real `lazaret` binary: `migrate --status|--dry-run` and
 * `migrate` on a database created by the previous release's migrations (it upgrades in place
 * and a server then serves its data), the refusal to run against a database a newer version
 * migrated (clear error, nothing changed), and `lazaret status` as a table and as JSON.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateToLatest, openSqlite } from '../src/metadata/db.ts';
import { allMigrations } from '../src/persistence/index.ts';
import { startTestServer } from './helpers/server.ts';
import { rawSqlite } from './helpers/raw-db.ts';
import { pushImage } from './helpers/quarantine-fixtures.ts';
import { ADMIN_PASSWORD, ADMIN_USER, startTokenServer } from './helpers/identities.ts';
import { request } from 'undici';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The migrations of the previous release (0.1.0): 001-core .. 004-events. */
const PREVIOUS_RELEASE = ['001-core', '002-identity', '003-quarantine', '004-events'];

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin/lazaret.js'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('a database created by the previous release upgrades in place: migrate --status, --dry-run, migrate, then serve', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-upgrade-'));
  try {
    const old = openSqlite(join(dataDir, 'lazaret.db'));
    await migrateToLatest(old, allMigrations().filter(([name]) => PREVIOUS_RELEASE.includes(name)));
    await old.destroy();
    const raw = rawSqlite(dataDir);
    raw.prepare('insert into repositories (name, created_at, updated_at, delete_enabled, write_enabled, read_enabled, list_enabled) values (?, ?, ?, 1, 1, 1, 1)').run('legacy/app', Date.now(), Date.now());
    raw.close();
    const env = { LAZARET_DATA_DIR: dataDir };
    const pending = allMigrations().map(([n]) => n).filter((n) => !PREVIOUS_RELEASE.includes(n));

    const status = await cli(['migrate', '--status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout);
    assert.deepEqual(s.applied, PREVIOUS_RELEASE);
    assert.deepEqual(s.pending, pending);
    assert.deepEqual(s.unknown, []);
    const dry = await cli(['migrate', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    for (const m of pending) assert.match(dry.stdout, new RegExp(`would run\\s+${m}`));
    assert.deepEqual(JSON.parse((await cli(['migrate', '--status', '--json'], env)).stdout).applied, PREVIOUS_RELEASE, 'a dry run changes nothing');

    const run = await cli(['migrate'], env);
    assert.equal(run.code, 0, run.stderr);
    const after = JSON.parse((await cli(['migrate', '--status', '--json'], env)).stdout);
    assert.deepEqual(after.applied, allMigrations().map(([n]) => n));
    assert.deepEqual(after.pending, []);

    const server = await startTestServer({ 'auth.mode': 'none' }, { dataDir });
    try {
      const catalog = await request(`${server.url}/v2/_catalog`);
      assert.deepEqual(((await catalog.body.json()) as { repositories: string[] }).repositories, ['legacy/app']);
      const pushed = await pushImage(server.url, 'legacy/app', { seed: 'after-upgrade', tag: 'v2' });
      assert.equal((await request(`${server.url}/v2/legacy/app/manifests/v2`, { method: 'HEAD' })).statusCode, 200);
      assert.ok(pushed.digest);
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a database migrated by a newer version: serve refuses with a clear error, migrate --status names the migration, nothing is changed', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-newer-'));
  try {
    const db = openSqlite(join(dataDir, 'lazaret.db'));
    await migrateToLatest(db, allMigrations());
    await db.destroy();
    const raw = rawSqlite(dataDir);
    raw.prepare("insert into kysely_migration (name, timestamp) values ('999-from-the-future', ?)").run(new Date().toISOString());
    raw.close();
    const env = { LAZARET_DATA_DIR: dataDir, LAZARET_LISTEN: '127.0.0.1:0', LAZARET_AUTH_MODE: 'none' };

    const serve = await cli(['serve'], env);
    assert.notEqual(serve.code, 0);
    assert.match(serve.stderr + serve.stdout, /migrated by a newer version of Lazaret.*999-from-the-future/);
    const status = await cli(['migrate', '--status'], env);
    assert.equal(status.code, 2);
    assert.match(status.stdout, /unknown\s+999-from-the-future/);
    const migrate = await cli(['migrate'], env);
    assert.notEqual(migrate.code, 0);
    assert.match(migrate.stderr, /newer version/);
    const check = rawSqlite(dataDir);
    const names = check.prepare('select name from kysely_migration order by name').all().map((r: any) => r.name);
    check.close();
    assert.deepEqual(names, [...allMigrations().map(([n]) => n), '999-from-the-future']);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('lazaret status: a table and JSON with version, uptime, storage, counts, held and outbox (Owner only)', async () => {
  const s = await startTokenServer();
  try {
    const auth = { authorization: `Basic ${Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString('base64')}` };
    const enable = await request(`${s.url}/api/v1/policies`, { method: 'PATCH', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ quarantinePolicy: { status: 'enabled' } }) });
    assert.equal(enable.statusCode, 200);
    await enable.body.text();
    const image = await pushImage(s.url, 'status/app', { seed: 'status-1', tag: 'v1', headers: auth });
    const env = { LAZARET_REGISTRY: s.url, LAZARET_USERNAME: ADMIN_USER, LAZARET_PASSWORD: ADMIN_PASSWORD };

    const json = await cli(['status', '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const st = JSON.parse(json.stdout);
    const pkg = JSON.parse((await import('node:fs')).readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(st.version, pkg.version);
    assert.equal(st.database, 'sqlite');
    assert.equal(st.repositories, 1);
    assert.equal(st.manifests, 1);
    assert.equal(st.held, 1);
    assert.deepEqual(st.verdicts, { Quarantined: 1 });
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed: 'status-1' });
    assert.deepEqual(st.storage, { blobs: 2, bytes: Buffer.byteLength(config) + Buffer.byteLength('layer of status-1') }, 'config and layer');
    assert.ok(image.digest);
    assert.equal(typeof st.uptimeSeconds, 'number');
    assert.deepEqual(st.outbox, { pending: 0, oldestPendingAt: null, deadLetters: 0 });
    // No scanner is registered (the in-process server starts none): the image's scan job waits.
    assert.equal(st.scanBacklog.queued, 1);
    assert.equal(st.scanBacklog.running, 0);
    assert.ok(Date.now() - Date.parse(st.scanBacklog.oldestSince) < 60_000, st.scanBacklog.oldestSince);
    assert.equal(st.lastGc, null);

    const table = await cli(['status'], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`^version\\s+${pkg.version.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(table.stdout, /^repositories\s+1$/m);
    assert.match(table.stdout, /^held\s+1 \(Quarantined 1\)$/m);
    assert.match(table.stdout, /^storage used\s+\d+ B in 2 blobs$/m);
    assert.match(table.stdout, /^last GC\s+never$/m);
    assert.match(table.stdout, /^scan backlog\s+1 queued, 0 running, oldest since \d{4}-\d\d-\d\dT/m);

    const anonymous = await cli(['status'], { LAZARET_REGISTRY: s.url });
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /401/);
  } finally {
    await s.close();
  }
});
