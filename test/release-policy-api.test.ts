/**
 * /api/v1/release-policies and `lazaret policy apply|get|list|diff|delete` over real HTTP on a
 * real server in token mode, on SQLite and on PostgreSQL: the example accepted as
 * written, versions, the audit (who and the diff), bad documents refused with the field named
 * and the old version kept, permissions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminAuth, basicAuth, createUser, startTokenServer, ADMIN_PASSWORD } from './helpers/identities.ts';
import { postgresReachable, skipUnless, TEST_DATABASE_URL, dropTestSchema } from './helpers/environment.ts';
import type { TestServer } from './helpers/server.ts';
import { EXAMPLE, lazaret } from './helpers/release-policy.ts';

const pgUp = await postgresReachable();

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`release policies API and CLI (${backend})`, { skip: backend === 'postgres' ? skipUnless(pgUp, `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) : false }, () => {
    let s: TestServer;
    let dir: string;
    const schema = `lazaret_rp_${randomBytes(5).toString('hex')}`;
    const call = async (method: string, path: string, body?: unknown, auth = adminAuth()) => {
      const res = await fetch(s.url + path, { method, headers: { authorization: auth, ...(body !== undefined || method !== 'GET' ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lazaret-rp-'));
      s = await startTokenServer(backend === 'postgres' ? { databaseUrl: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}` } : {});
      await createUser(s, 'puller', 'puller-password', [{ role: 'AcrPull' }]);
    });
    after(async () => {
      await s?.close();
      rmSync(dir, { recursive: true, force: true });
      if (backend === 'postgres') {
        await dropTestSchema(schema);
      }
    });

    test('the example is accepted as written; get shows it rendered and as applied; a re-apply is a no-op', async () => {
      const created = await call('POST', '/api/v1/release-policies', { document: EXAMPLE });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.version, 1);
      assert.deepEqual(created.body.rules.map((r: { name: string; kind: string }) => `${r.name}:${r.kind}`), ['no-critical:vulnerabilities', 'signed-by-ci:signatures', 'no-old-log4j:cel']);
      assert.match(created.body.rules[0].text, /no finding above High/);
      assert.match(created.body.warnings[0], /rules\[1\]\.signatures\.cosign\.keys\[0\] is not a usable public key/);
      const got = await call('GET', '/api/v1/release-policies/team-a', undefined, basicAuth('puller', 'puller-password'));
      assert.equal(got.status, 200, 'any authenticated caller reads policies');
      assert.equal(got.body.source, EXAMPLE);
      assert.equal(got.body.document.onViolation, 'notify');
      const again = await call('POST', '/api/v1/release-policies', { document: EXAMPLE });
      assert.equal(again.status, 200);
      assert.equal(again.body.changed, false);
      assert.equal(again.body.version, 1);
    });

    test('a change is a new version, audited with who and the diff; diff shows it', async () => {
      const changed = EXAMPLE.replace('maxSeverity: High', 'maxSeverity: Medium');
      const res = await call('PUT', '/api/v1/release-policies/team-a', { document: changed, expectedVersion: 1 });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.version, 2);
      assert.match(res.body.diff, /-\s+"maxSeverity": "High"\n\+\s+"maxSeverity": "Medium"/);
      const stale = await call('PUT', '/api/v1/release-policies/team-a', { document: EXAMPLE, expectedVersion: 1 });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.errors[0].code, 'CONFLICT');
      const audit = await call('GET', '/api/v1/audit?action=release-policy.apply&target=release-policy:team-a');
      const entries = audit.body.entries;
      assert.equal(entries.length, 2, 'one entry per version, none for the no-op');
      assert.equal(entries[0].actor, 'admin');
      assert.equal(entries[0].before.version, 1);
      assert.equal(entries[0].after.version, 2);
      assert.match(entries[0].details, /\+\s+"maxSeverity": "Medium"/);
      const diff = await call('GET', '/api/v1/release-policies/team-a/diff');
      assert.equal(diff.body.from, 1);
      assert.equal(diff.body.to, 2);
      assert.match(diff.body.diff, /"maxSeverity": "Medium"/);
      const versions = await call('GET', '/api/v1/release-policies/team-a/versions');
      assert.deepEqual(versions.body.versions.map((v: { version: number }) => v.version), [2, 1]);
    });

    test('bad documents: 400 in the error format naming the field; the stored version stays', async () => {
      const cases: [unknown, string, RegExp][] = [
        [EXAMPLE.replace('maxSeverity: High', 'maxSeverity: Severe'), 'rules[0].vulnerabilities.maxSeverity', /must be one of None, Low, Medium, High, Critical/],
        [EXAMPLE.replace('p.version < "2.17.1")', 'p.version < )'), 'rules[2].cel', /\(rule no-old-log4j\) does not compile at line 1, column \d+/],
        [EXAMPLE.replace('repositories: ["team-a/*"]', 'repositories: []'), 'repositories', /at least 1/],
        ['name: team-a\nrules: [', 'document', /not valid YAML or JSON/],
        [{ name: 'team-a', repositories: ['team-a/*'], rules: [{ name: 'x', cel: 'true' }], extra: 1 }, 'extra', /is not a known field/],
        [undefined, 'document', /required/],
      ];
      for (const [document, field, message] of cases) {
        const res = await call('POST', '/api/v1/release-policies', document === undefined ? {} : { document });
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.errors[0].code, 'BAD_REQUEST');
        assert.equal(res.body.errors[0].detail.field, field, JSON.stringify(res.body));
        assert.match(res.body.errors[0].message, message);
      }
      const wrongName = await call('PUT', '/api/v1/release-policies/other', { document: EXAMPLE });
      assert.equal(wrongName.status, 400);
      assert.equal(wrongName.body.errors[0].detail.field, 'name');
      const kept = await call('GET', '/api/v1/release-policies/team-a');
      assert.equal(kept.body.version, 2);
      assert.equal(kept.body.document.rules[0].vulnerabilities.maxSeverity, 'Medium');
    });

    test('writes need configure; reads need a principal; a missing policy is 404', async () => {
      const puller = basicAuth('puller', 'puller-password');
      assert.equal((await call('POST', '/api/v1/release-policies', { document: EXAMPLE.replace('name: team-a', 'name: sneaky') }, puller)).status, 403);
      assert.equal((await call('DELETE', '/api/v1/release-policies/team-a', undefined, puller)).status, 403);
      const anonymous = await fetch(`${s.url}/api/v1/release-policies`);
      assert.equal(anonymous.status, 401);
      const missing = await call('GET', '/api/v1/release-policies/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.errors[0].code, 'NOT_FOUND');
      assert.equal((await call('GET', '/api/v1/release-policies/sneaky')).status, 404, 'nothing was stored');
    });

    test('the CLI: apply -f, list, get, diff -f, delete', async () => {
      const env = { LAZARET_REGISTRY: s.url, LAZARET_USERNAME: 'admin', LAZARET_PASSWORD: ADMIN_PASSWORD };
      const file = join(dir, 'team-b.yaml');
      writeFileSync(file, EXAMPLE.replace(/team-a/g, 'team-b'));
      const applied = await lazaret(['policy', 'apply', '-f', file], env);
      assert.equal(applied.code, 0, applied.stderr);
      assert.match(applied.stdout, /release policy team-b created \(version 1\)/);
      assert.match(applied.stdout, /warning: rules\[1\]/);
      const list = await lazaret(['policy', 'list'], env);
      assert.match(list.stdout, /team-a\s+2\s+true\s+team-a\/\*\s+no-critical,signed-by-ci,no-old-log4j\s+notify/);
      assert.match(list.stdout, /team-b\s+1\s+true\s+team-b\/\*/);
      const get = await lazaret(['policy', 'get', 'team-b'], env);
      assert.match(get.stdout, /- no-critical \(vulnerabilities\): a scan report is required; no finding above High/);
      const yaml = await lazaret(['policy', 'get', 'team-b', '-o', 'yaml'], env);
      assert.equal(yaml.stdout, EXAMPLE.replace(/team-a/g, 'team-b'));
      writeFileSync(file, EXAMPLE.replace(/team-a/g, 'team-b').replace('enabled: true', 'enabled: false'));
      const diff = await lazaret(['policy', 'diff', 'team-b', '-f', file], env);
      assert.match(diff.stdout, /-\s+"enabled": true,\n\+\s+"enabled": false,/);
      assert.equal((await call('GET', '/api/v1/release-policies/team-b')).body.enabled, true, 'diff changes nothing');
      writeFileSync(file, 'name: team-b\nrepositories: ["team-b/*"]\nrules:\n  - name: x\n    vulnerabilities: { maxSeverity: Huge }\n');
      const bad = await lazaret(['policy', 'apply', '-f', file], env);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /400 BAD_REQUEST: rules\[0\]\.vulnerabilities\.maxSeverity must be one of/);
      const deleted = await lazaret(['policy', 'delete', 'team-b'], env);
      assert.equal(deleted.code, 0, deleted.stderr);
      const gone = await lazaret(['policy', 'get', 'team-b'], env);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /404 NOT_FOUND: release policy team-b not found/);
      const audit = await call('GET', '/api/v1/audit?action=release-policy.delete');
      assert.equal(audit.body.entries[0].target, 'release-policy:team-b');
      assert.equal(audit.body.entries[0].after, null);
    });
  });
}
