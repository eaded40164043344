/**
 * The seed's walkthrough (ACR's Quarantine Pattern documentation), end to end with skopeo
 * and real HTTP in token mode: enable the policy; push helloworld:1; a pull-only user gets
 * "not found" by tag and "The operation is disallowed." by digest; a quarantine reader pulls
 * it by digest; the metadata GET shows Quarantined; a quarantine writer PATCHes Passed with
 * details (with the pull,push token the seed tells scanners to ask for); the pull-only user
 * now pulls by tag.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from './helpers/server.ts';
import { hasCommand, skipUnless } from './helpers/environment.ts';
import { skopeoResultIn } from './helpers/skopeo.ts';
import { adminAuth, bearer, createUser, startTokenServer } from './helpers/identities.ts';
import { call, writeOciLayout } from './helpers/quarantine-fixtures.ts';

const skip = skipUnless(hasCommand('skopeo'), 'skopeo is not installed');

describe('the seed walkthrough with skopeo', { skip }, () => {
  let s: TestServer;
  let host: string;
  let work: string;
  const skopeo = skopeoResultIn(() => work, { timeoutMs: 60_000 });
  let digest: string;

  before(async () => {
    s = await startTokenServer();
    host = new URL(s.url).host;
    work = mkdtempSync(join(tmpdir(), 'lazaret-walkthrough-'));
    await createUser(s, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
    await createUser(s, 'puller', 'puller-password', [{ role: 'AcrPull' }]);
    await createUser(s, 'reader', 'reader-password', [{ role: 'AcrQuarantineReader' }]);
    await createUser(s, 'scanner', 'scanner-password', [{ role: 'AcrQuarantineWriter' }]);
  });
  after(async () => {
    await s.close();
    rmSync(work, { recursive: true, force: true });
  });

  const copy = (from: string, to: string, creds: string, side: 'src' | 'dest') =>
    skopeo('copy', `--${side}-tls-verify=false`, `--${side}-creds`, creds, from, to);

  test('1. the owner enables the policy', async () => {
    const r = await call(s.url, 'PATCH', '/api/v1/policies', { headers: { authorization: adminAuth() }, body: { quarantinePolicy: { status: 'enabled' } } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { quarantinePolicy: { status: 'enabled' } });
  });

  test('2. push helloworld:1: it is quarantined', async () => {
    const layout = join(work, 'src');
    ({ digest } = await writeOciLayout(layout, '1', 'walkthrough'));
    const r = await copy(`oci:${layout}:1`, `docker://${host}/helloworld:1`, 'pusher:pusher-password', 'dest');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await s.services.store.verdicts.get('helloworld', digest as never))?.state, 'Quarantined');
  });

  test('3. a pull-only user: "not found" by tag, "The operation is disallowed." by digest', async () => {
    const byTag = await copy(`docker://${host}/helloworld:1`, `oci:${join(work, 'p1')}:1`, 'puller:puller-password', 'src');
    assert.notEqual(byTag.code, 0);
    assert.match(byTag.stderr, /manifest unknown/i);
    assert.doesNotMatch(byTag.stderr, /disallowed/);
    const byDigest = await copy(`docker://${host}/helloworld@${digest}`, `oci:${join(work, 'p2')}:1`, 'puller:puller-password', 'src');
    assert.notEqual(byDigest.code, 0);
    assert.match(byDigest.stderr, /The operation is disallowed\./);
  });

  test('4. a quarantine reader pulls it by digest', async () => {
    const r = await copy(`docker://${host}/helloworld@${digest}`, `oci:${join(work, 'reader')}:1`, 'reader:reader-password', 'src');
    assert.equal(r.code, 0, r.stderr);
  });

  test('5. the metadata GET (reader, pull token) shows Quarantined', async () => {
    const auth = await bearer(s, 'reader', 'reader-password', 'repository:helloworld:pull');
    const r = await call(s.url, 'GET', `/acr/v1/helloworld/_manifests/${digest}`, { headers: { authorization: auth } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.manifest.changeableAttributes.quarantineState, 'Quarantined');
    assert.deepEqual(r.body.manifest.tags, ['1']);
  });

  test('6. the quarantine writer PATCHes Passed with details, using a pull,push token', async () => {
    const auth = await bearer(s, 'scanner', 'scanner-password', 'repository:helloworld:pull,push');
    const details = '{"state":"scan passed","link":"http://test.io/test"}';
    const r = await call(s.url, 'PATCH', `/acr/v1/helloworld/_manifests/${digest}`, {
      headers: { authorization: auth },
      body: { quarantineState: 'Passed', quarantineDetails: details },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.manifest.changeableAttributes.quarantineState, 'Passed');
    assert.equal(r.body.manifest.changeableAttributes.quarantineDetails, details);
    const audit = await call(s.url, 'GET', `/api/v1/audit?action=verdict.change&target=helloworld@`, { headers: { authorization: adminAuth() } });
    const last = audit.body.entries[0];
    assert.equal(last.actor, 'scanner');
    assert.deepEqual(last.before, { quarantineState: 'Quarantined', quarantineDetails: null });
    assert.deepEqual(last.after, { quarantineState: 'Passed', quarantineDetails: details });
    assert.ok(last.requestId);
    // The scanner's token never carried push content rights: it cannot push.
    const push = await call(s.url, 'POST', '/v2/helloworld/blobs/uploads/', { headers: { authorization: auth } });
    assert.equal(push.status, 401);
  });

  test('7. the pull-only user now pulls by tag', async () => {
    const r = await copy(`docker://${host}/helloworld:1`, `oci:${join(work, 'after')}:1`, 'puller:puller-password', 'src');
    assert.equal(r.code, 0, r.stderr);
  });
});
