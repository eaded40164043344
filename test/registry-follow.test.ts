/**
 * The registry service's referrers that follow their subject (src/registry/follow.ts): the scan
 * orchestrator records its report referrers through `prepareReferrers` + `recordReferrersIn`
 * in its own transaction, acting as the scanner's principal. Reads go over real HTTP as a
 * pull-only principal (AcrPull): hidden while the subject is held, pullable exactly when it is
 * released. Failure paths write nothing: a subject deleted in between, a subject that never
 * existed, a principal without quarantine write.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { accessToken, adminAuth, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, sha256, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { verdictWriterAccess } from '../src/access/actions.ts';
import { RegistryError } from '../src/errors/registry-error.ts';
import type { Digest } from '../src/oci/digest.ts';
import type { ManifestRecord } from '../src/metadata/metadata-store.ts';

const REPO = 'follow/app';
const REPORT = 'application/vnd.lazaret.vulnerability-report.v1+json';
const facts = { id: 'job-follow', host: '', method: 'PATCH', useragent: 'test', actor: 'scanner:test' };
let s: TestServer;
let puller: Record<string, string>;
const admin = () => ({ authorization: adminAuth() });
const scanner = () => s.services.registry.as(verdictWriterAccess('scanner:test', REPO));
const subjectOf = async (img: PushedImage) => (await s.services.store.manifests.get(REPO, img.digest as Digest))!;
const report = (seed: string) => [{ artifactType: REPORT, bytes: Buffer.from(JSON.stringify({ vulnerabilities: [], seed })), annotations: { 'io.lazaret.scan.job': 'job-follow' } }];

async function nothingRecorded(digest: Digest, subject: string) {
  assert.equal(await s.services.store.manifests.get(REPO, digest), undefined, 'no referrer manifest');
  assert.equal(await s.services.store.verdicts.get(REPO, digest), undefined, 'no verdict');
  assert.deepEqual(await s.services.store.scanJobs.artifactsOf(REPO, subject), [], 'no scan artifact');
}

before(async () => {
  s = await startTokenServer({ 'scanner.builtin': false });
  await createUser(s, 'follow-puller', 'follow-password-1', [{ role: 'AcrPull' }]);
  assert.equal((await call(s.url, 'PATCH', '/api/v1/policies', { headers: admin(), body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
  puller = { authorization: `Bearer ${await accessToken(s, 'follow-puller', 'follow-password-1', `repository:${REPO}:pull`)}` };
});
after(() => s.close());

test('recorded referrers are hidden while their subject is held and pullable once it is released', async () => {
  const img = await pushImage(s.url, REPO, { seed: 'follow-held', tag: 'v1', headers: admin() });
  const subject = await subjectOf(img);
  const prepared = await scanner().prepareReferrers(subject, report('held'));
  await s.services.store.transaction((tx) => scanner().recordReferrersIn(tx, { subject, referrers: prepared, state: 'Quarantined', jobId: 'job-follow' }));
  const referrer = prepared[0]!.input.digest;
  assert.equal((await s.services.store.verdicts.get(REPO, referrer))?.state, 'Quarantined', 'the subject\'s verdict');
  assert.deepEqual((await s.services.store.scanJobs.artifactsOf(REPO, img.digest)).map((a) => a.digest), [referrer]);

  const listed = async () => (await call(s.url, 'GET', `/v2/${REPO}/referrers/${img.digest}`, { headers: puller })).text;
  const pulled = async () => (await call(s.url, 'GET', `/v2/${REPO}/manifests/${referrer}`, { headers: { ...puller, accept: 'application/vnd.oci.image.manifest.v1+json' } })).status;
  assert.ok(!(await listed()).includes(referrer), 'not listed to a pull-only principal while held');
  assert.equal(await pulled(), 403);

  await s.services.store.transaction(async (tx) => scanner().changeVerdictIn(tx, (await tx.manifests.get(REPO, img.digest as Digest))!, { state: 'Passed' }, facts));
  assert.equal((await s.services.store.verdicts.get(REPO, referrer))?.state, 'Passed', 'followed in the same transaction');
  assert.ok((await listed()).includes(referrer), 'listed once released');
  assert.equal(await pulled(), 200);
  const audit = (await s.services.store.audit.list({ n: 100 })).find((e) => e.action === 'verdict.change' && e.target === `${REPO}@${referrer}`);
  assert.equal(audit?.actor, 'system');
  assert.match(String(audit?.details), new RegExp(`scan report ${REPORT.replace(/[.+]/g, '\\$&')} follows its subject ${img.digest}`));
});

test('a subject deleted between the scan and its transaction: nothing is written (MANIFEST_UNKNOWN)', async () => {
  const img = await pushImage(s.url, REPO, { seed: 'follow-deleted', tag: 'gone', headers: admin() });
  const subject = await subjectOf(img);
  const prepared = await scanner().prepareReferrers(subject, report('deleted'));
  assert.equal((await call(s.url, 'DELETE', `/v2/${REPO}/manifests/${img.digest}`, { headers: admin() })).status, 202);
  await assert.rejects(
    s.services.store.transaction((tx) => scanner().recordReferrersIn(tx, { subject, referrers: prepared, state: 'Quarantined', jobId: 'job-follow' })),
    (err: unknown) => err instanceof RegistryError && err.code === 'MANIFEST_UNKNOWN' && err.message.includes(img.digest),
  );
  await nothingRecorded(prepared[0]!.input.digest, img.digest);
});

test('a report for a digest that does not exist: nothing is written', async () => {
  const img = await pushImage(s.url, REPO, { seed: 'follow-real', headers: admin() });
  const ghost: ManifestRecord = { ...(await subjectOf(img)), digest: sha256('never pushed') as Digest };
  const prepared = await scanner().prepareReferrers(ghost, report('ghost'));
  await assert.rejects(
    s.services.store.transaction((tx) => scanner().recordReferrersIn(tx, { subject: ghost, referrers: prepared, state: 'Passed', jobId: 'job-follow' })),
    (err: unknown) => err instanceof RegistryError && err.code === 'MANIFEST_UNKNOWN',
  );
  await nothingRecorded(prepared[0]!.input.digest, ghost.digest);
});

test('without quarantine write on the subject\'s repository: DENIED, nothing written', async () => {
  const img = await pushImage(s.url, REPO, { seed: 'follow-denied', headers: admin() });
  const subject = await subjectOf(img);
  const prepared = await scanner().prepareReferrers(subject, report('denied'));
  const other = s.services.registry.as(verdictWriterAccess('scanner:test', 'follow/other'));
  const denied = (err: unknown) => err instanceof RegistryError && err.code === 'DENIED';
  await assert.rejects(other.prepareReferrers(subject, report('denied')), denied);
  await assert.rejects(s.services.store.transaction((tx) => other.recordReferrersIn(tx, { subject, referrers: prepared, state: 'Passed', jobId: 'job-follow' })), denied);
  await nothingRecorded(prepared[0]!.input.digest, img.digest);
});
