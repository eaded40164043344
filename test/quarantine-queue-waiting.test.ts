/**
 * The queue's `waiting=true` filter over real HTTP in token mode, on a registry where the switch
 * is off and only a release policy governs team-a/*: a manifest there without a verdict waits
 * (the server's one rule, waitsForVerdict) and is in the filter; one in an ungoverned repository
 * is not. The leak rule: a caller without quarantine read gets from the filter exactly the
 * answer it gets for content that does not exist. The CLI's `quarantine queue --waiting`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { ADMIN_PASSWORD, ADMIN_USER, adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, putManifest, sha256, uploadBlob, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { lazaret } from './helpers/release-policy.ts';

/**
 * An OCI artifact: a release policy evaluates images only, so one pushed before its policy keeps
 * no verdict, and where the policy governs it waits without one (the case the portal missed).
 */
async function pushArtifact(url: string, repository: string, seed: string, headers: Record<string, string>) {
  const config = JSON.stringify({ seed });
  const configDigest = await uploadBlob(url, repository, config, headers);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.example.thing.v1',
    config: { mediaType: 'application/vnd.example.thing.config.v1+json', digest: configDigest, size: Buffer.byteLength(config) },
    layers: [],
  });
  await putManifest(url, repository, seed, manifest, 'application/vnd.oci.image.manifest.v1+json', headers);
  return { digest: sha256(manifest) };
}

const POLICY = { name: 'team-a', repositories: ['team-a/*'], onViolation: 'notify', rules: [{ name: 'no-critical', vulnerabilities: { maxSeverity: 'High' } }] };

describe('GET /api/v1/quarantine/queue?waiting=true (only a release policy governs)', () => {
  let s: TestServer;
  let a1: { digest: string };
  let a2: { digest: string };
  let loose: PushedImage;
  const PW = 'queue-waiting-password';
  const admin = adminAuth();
  const queueAs = async (authorization: string, query: string) => {
    const r = await call(s.url, 'GET', `/api/v1/quarantine/queue?${query}`, { headers: { authorization } });
    assert.equal(r.status, 200, r.text);
    return r;
  };
  const digests = (body: { manifests: { digest: string }[] }) => body.manifests.map((m) => m.digest);

  before(async () => {
    s = await startTokenServer();
    await createUser(s, 'puller', PW, [{ role: 'AcrPull' }]);
    await createUser(s, 'reader', PW, [{ role: 'AcrPull' }, { role: 'AcrQuarantineReader', repository: 'team-a/*' }]);
    // Oldest first: a1, then one in an ungoverned repository, then a2 (the cursor must skip it).
    a1 = await pushArtifact(s.url, 'team-a/app', 'qw-a1', { authorization: admin });
    loose = await pushImage(s.url, 'loose/app', { seed: 'qw-l1', tag: '1', headers: { authorization: admin } });
    a2 = await pushArtifact(s.url, 'team-a/app', 'qw-a2', { authorization: admin });
    // The policy comes after the pushes (nothing gated them: no verdict) and evaluates images only.
    const r = await call(s.url, 'POST', '/api/v1/release-policies', { headers: { authorization: admin }, body: { document: POLICY } });
    assert.equal(r.status, 201, r.text);
    await s.services.releasePolicy.idle();
  });
  after(() => s.close());

  test('the switch is off, no verdict anywhere: team-a waits (its policy gates it), loose/app does not', async () => {
    assert.equal((await call(s.url, 'GET', '/api/v1/policies', { headers: { authorization: admin } })).body.quarantinePolicy.status, 'disabled');
    const all = (await queueAs(admin, 'state=absent')).body;
    assert.deepEqual(
      all.manifests.map((m: { repository: string; quarantineState: unknown; waiting: boolean }) => [m.repository, m.quarantineState, m.waiting]),
      [['team-a/app', null, true], ['loose/app', null, false], ['team-a/app', null, true]],
    );
    // What the portal asked before (with the switch off, only Quarantined waited) misses them.
    assert.deepEqual(digests((await queueAs(admin, 'state=Quarantined')).body), []);
    const waiting = (await queueAs(admin, 'waiting=true')).body;
    assert.deepEqual(digests(waiting), [a1.digest, a2.digest]);
    assert.ok(waiting.manifests.every((m: { waiting: boolean }) => m.waiting));
    assert.equal(waiting.next, undefined);
  });

  test('pages of the filter: the cursor points at the last row returned, past the row the filter left out', async () => {
    const page1 = (await queueAs(admin, 'waiting=true&n=1')).body;
    assert.deepEqual(digests(page1), [a1.digest]);
    assert.ok(page1.next);
    const page2 = (await queueAs(admin, `waiting=true&n=1&last=${encodeURIComponent(page1.next)}`)).body;
    assert.deepEqual(digests(page2), [a2.digest]);
    assert.equal(page2.next, undefined);
  });

  test('a quarantine reader of team-a/* sees team-a waiting; the filter over team-a is what the reader may see', async () => {
    const body = (await queueAs(basicAuth('reader', PW), 'waiting=true')).body;
    assert.deepEqual(digests(body), [a1.digest, a2.digest]);
  });

  test('leak rule: a caller without quarantine read learns nothing from the filter (the answer for missing content, byte for byte)', async () => {
    const puller = basicAuth('puller', PW);
    const missing = (await queueAs(puller, 'waiting=true&repository=nobody/here')).text;
    assert.equal((await queueAs(puller, 'waiting=true')).text, missing);
    assert.equal((await queueAs(puller, 'waiting=true&repository=team-a/app')).text, missing);
    assert.equal((await queueAs(puller, 'waiting=true&q=team-a')).text, missing);
    // The reader of team-a/* has no quarantine read on loose/app: same there.
    const reader = basicAuth('reader', PW);
    assert.equal((await queueAs(reader, 'waiting=true&repository=loose/app&state=absent,Quarantined,Failed')).text, (await queueAs(reader, 'waiting=true&repository=nobody/here')).text);
    // A new held push changes nothing for the puller either.
    await pushImage(s.url, 'team-a/app', { seed: 'qw-a3', tag: '3', headers: { authorization: admin } });
    assert.equal((await queueAs(puller, 'waiting=true')).text, missing);
  });

  test('a value other than true/false is refused in the registry format', async () => {
    const r = await call(s.url, 'GET', '/api/v1/quarantine/queue?waiting=perhaps', { headers: { authorization: admin } });
    assert.equal(r.status, 400);
    assert.equal(r.body.errors[0].code, 'BAD_REQUEST');
    assert.match(r.body.errors[0].message, /waiting/);
  });

  test('the CLI: quarantine queue --waiting asks the same filter', async () => {
    const env = { LAZARET_REGISTRY: s.url, LAZARET_USERNAME: ADMIN_USER, LAZARET_PASSWORD: ADMIN_PASSWORD };
    const out = await lazaret(['quarantine', 'queue', '--waiting', '--repository', 'team-a/app', '-o', 'json'], env);
    assert.equal(out.code, 0, out.stderr);
    const body = JSON.parse(out.stdout);
    assert.ok(body.manifests.length >= 1);
    assert.ok(body.manifests.every((m: { repository: string; waiting: boolean }) => m.repository === 'team-a/app' && m.waiting));
    const help = await lazaret(['quarantine', 'queue', '--help'], env);
    assert.match(help.stdout, /--waiting/);
  });
  test('with `state`: waiting filters only the states that can wait (a Failed row stays; a Passed one leaves the default filter)', async () => {
    await s.services.store.verdicts.set({ repository: 'loose/app', digest: loose.digest as never, state: 'Failed' as never, updatedBy: 't' });
    await s.services.store.verdicts.set({ repository: 'team-a/app', digest: a2.digest as never, state: 'Passed' as never, updatedBy: 't' });
    const withFailed = digests((await queueAs(admin, 'waiting=true&state=absent,Quarantined,Failed')).body);
    assert.deepEqual(withFailed.slice(0, 2), [a1.digest, loose.digest]);
    assert.ok(!withFailed.includes(a2.digest));
    const waiting = digests((await queueAs(admin, 'waiting=true')).body);
    assert.equal(waiting[0], a1.digest);
    assert.ok(!waiting.includes(a2.digest) && !waiting.includes(loose.digest));
  });
});
