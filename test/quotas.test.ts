/**
 * Quotas per repository pattern on real servers, SQLite and PostgreSQL (docs/storage-lifecycle.md
 * "Quotas"): a push over quota is refused with DENIED naming the quota (skopeo's error text too);
 * usage counts each blob once and falls after a delete and a collection; concurrent uploads never
 * take a repository past its quota; a recount (API and `lazaret quota recount`) finds and corrects
 * a running total made wrong behind the triggers' back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { withDatabase } from '../src/persistence/index.ts';
import { dropTestSchema, hasCommand, postgresReachable, skipUnless, TEST_DATABASE_URL } from './helpers/environment.ts';
import { skopeoIn } from './helpers/skopeo.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { call, pushImage, sha256 } from './helpers/quarantine-fixtures.ts';
import { createOciLayout } from './helpers/oci-layout.ts';

const KiB = 1024;
const LAZARET = fileURLToPath(new URL('../bin/lazaret.js', import.meta.url));

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`quotas (${backend})`, { skip: backend === 'postgres' ? skipUnless(await postgresReachable(), 'PostgreSQL is not reachable') : false }, () => {
    let server: TestServer;
    const schema = `lazaret_quota_${randomBytes(4).toString('hex')}`;
    const api = (method: string, path: string, body?: unknown) => call(server.url, method, path, body === undefined ? {} : { body });
    async function upload(repository: string, data: Buffer) {
      const res = await fetch(`${server.url}/v2/${repository}/blobs/uploads/?digest=${sha256(data)}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(data) });
      const text = await res.text();
      return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
    }
    const usage = async (repository: string) => (await api('GET', '/api/v1/quotas')).body.usage.find((u: { repository: string }) => u.repository === repository)?.used;

    before(async () => {
      const databaseUrl = backend === 'postgres' ? { databaseUrl: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}` } : {};
      server = await startTestServer({ 'auth.mode': 'none', 'gc.intervalSeconds': 0, 'scanner.builtin': false, ...databaseUrl });
    });
    after(async () => {
      await server?.close();
      if (backend === 'postgres') await dropTestSchema(schema);
    });

    test('set and read back; a bad rule is 400 naming the field', async () => {
      const bad = await api('PUT', '/api/v1/quotas', { quotas: [{ repositories: 'no good/', bytes: 1 }] });
      assert.equal(bad.status, 400);
      assert.match(bad.body.errors[0].message, /quotas\[0\]\.repositories/);
      const set = await api('PUT', '/api/v1/quotas', { quotas: [{ repositories: 'q/*', bytes: 64 * KiB }, { repositories: 'race', bytes: 10 * KiB }] });
      assert.equal(set.status, 200, set.text);
      assert.deepEqual(set.body.quotas.map((q: { repositories: string }) => q.repositories), ['q/*', 'race']);
      const audit = (await api('GET', '/api/v1/audit?action=quota.change')).body.entries;
      assert.equal(audit.length, 1);
    });

    test('over quota: DENIED naming the quota; usage counts each blob once and falls after delete + GC', async () => {
      const img = await pushImage(server.url, 'q/app', { seed: `quota-${backend}` });
      const used = await usage('q/app');
      assert.ok(used > 0 && used < 2 * KiB, `usage ${used}`);
      // The same blob again adds nothing.
      assert.equal((await upload('q/app', Buffer.from(`layer of quota-${backend}`))).status, 201);
      assert.equal(await usage('q/app'), used);
      const big = await upload('q/app', randomBytes(64 * KiB));
      assert.equal(big.status, 403);
      assert.equal(big.body.errors[0].code, 'DENIED');
      assert.match(big.body.errors[0].message, /quota "q\/\*" exceeded: repository q\/app may hold 64 KiB/);
      assert.equal(await usage('q/app'), used, 'a refused upload adds nothing');
      assert.equal((await upload('q/other', randomBytes(60 * KiB))).status, 201, 'each repository has its own budget');

      assert.equal((await call(server.url, 'DELETE', `/v2/q/app/manifests/${img.digest}`)).status, 202);
      const started = await api('POST', '/api/v1/gc', { gracePeriod: '0s' });
      assert.equal(started.status, 202);
      for (;;) {
        const r = (await api('GET', `/api/v1/gc/runs/${started.body.run.id}`)).body.run;
        if (r.status !== 'running') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(await usage('q/app'), 0, 'freed by the collection');
    });

    test('concurrent uploads never take a repository past its quota', async () => {
      const results = await Promise.all(Array.from({ length: 12 }, () => upload('race', randomBytes(KiB))));
      const accepted = results.filter((r) => r.status === 201).length;
      for (const r of results) assert.ok(r.status === 201 || (r.status === 403 && r.body.errors[0].code === 'DENIED'), `${r.status} ${r.text}`);
      assert.equal(accepted, 10, 'exactly as many as fit');
      assert.ok((await usage('race')) <= 10 * KiB);
    });

    test('recount: the totals agree with a full count; one made wrong is corrected, audited, and shown by the CLI', async () => {
      const clean = await api('POST', '/api/v1/quotas/recount', {});
      assert.equal(clean.status, 200, clean.text);
      assert.deepEqual(clean.body.corrected, [], 'every push, delete and collection above kept the totals right');
      assert.ok(clean.body.repositories >= 3);
      const right = await usage('q/other');
      assert.ok(right >= 60 * KiB);
      // What only a writer around the triggers could do: the running total says something else.
      await withDatabase(server.services.config, (db) => db.updateTable('repository_usage').set({ bytes: 1 }).where('repository', '=', 'q/other').execute());
      assert.equal(await usage('q/other'), 1);
      const { stdout } = await promisify(execFile)(process.execPath, [LAZARET, 'quota', 'recount', 'q/other', '--registry', server.url, '-o', 'json'], { env: { PATH: process.env.PATH ?? '', HOME: tmpdir() } });
      assert.deepEqual(JSON.parse(stdout), { repositories: 1, corrected: [{ repository: 'q/other', stored: 1, counted: right }] });
      assert.equal(await usage('q/other'), right);
      const audit = (await api('GET', '/api/v1/audit?action=quota.recount')).body.entries;
      assert.equal(audit.length, 1);
      assert.deepEqual((await api('POST', '/api/v1/quotas/recount', { repository: 'no/such' })).body, { repositories: 0, corrected: [] });
    });

    if (backend === 'sqlite') {
      test('skopeo prints the quota in its error', { skip: skipUnless(hasCommand('skopeo'), 'skopeo is not installed') }, async () => {
        const work = mkdtempSync(join(tmpdir(), 'lazaret-quota-'));
        try {
          const layout = await createOciLayout(join(work, 'src'));
          const image = await layout.addImage({ layerSizes: [128 * KiB] });
          await layout.writeIndex({ app: image.manifest });
          const push = skopeoIn(() => work)('copy', '--quiet', '--dest-tls-verify=false', '--dest-no-creds', `oci:${join(work, 'src')}:app`, `docker://${new URL(server.url).host}/q/skopeo:1`);
          await assert.rejects(push, (err: { stderr?: string }) => {
            assert.match(String(err.stderr), /denied: quota \\?"q\/\*\\?" exceeded: repository q\/skopeo may hold 64 KiB/);
            return true;
          });
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      });
    }
  });
}
