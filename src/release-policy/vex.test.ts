import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyStatements, statementsFor, trustedVex, vexException } from './vex.ts';

const digest = `sha256:${'ab'.repeat(32)}`;
const finding = { id: 'CVE-2021-44906', package: 'minimist', version: '1.2.5' };
const doc = (statements: unknown[], extra: Record<string, unknown> = {}) => ({ '@id': 'https://v.example/1', author: 'Vendor', timestamp: '2026-01-01T00:00:00Z', statements, ...extra });

test('products: the digest, an OCI purl of it, a sha-256 hash; a tag or another digest is not this image', () => {
  const cases: [unknown, boolean][] = [
    [digest, true],
    [{ '@id': `pkg:oci/app@${encodeURIComponent(digest)}?repository_url=r.example/team/app` }, true],
    [{ '@id': 'x', identifiers: { purl: `pkg:oci/app@${digest}` } }, true],
    [{ '@id': 'x', hashes: { 'sha-256': 'ab'.repeat(32) } }, true],
    ['pkg:oci/app?tag=latest', false],
    [`sha256:${'cd'.repeat(32)}`, false],
    [{ '@id': 'pkg:npm/minimist@1.2.5' }, false],
  ];
  for (const [product, ours] of cases) {
    const found = statementsFor(doc([{ vulnerability: { name: finding.id }, products: [product], status: 'not_affected' }]), 'sha256:ref', digest);
    assert.equal(found.length, ours ? 1 : 0, JSON.stringify(product));
  }
});

test('vulnerability by name, @id, alias or (OpenVEX 0.0.x) as a string; statement-level subcomponents', () => {
  for (const vulnerability of [{ name: finding.id }, { '@id': finding.id }, { name: 'GHSA-xvch-5gv4-984h', aliases: [finding.id] }, finding.id]) {
    const st = statementsFor(doc([{ vulnerability, products: [digest], status: 'fixed' }]), 'sha256:ref', digest);
    assert.equal(vexException(st, finding)?.status, 'fixed', JSON.stringify(vulnerability));
  }
  const limited = statementsFor(doc([{ vulnerability: finding.id, products: [digest], subcomponents: ['pkg:npm/minimist@1.2.6'], status: 'not_affected' }]), 'sha256:ref', digest);
  assert.equal(vexException(limited, finding), undefined, 'another version of the package');
  const scoped = statementsFor(doc([{ vulnerability: finding.id, products: [{ '@id': digest, subcomponents: [{ '@id': 'pkg:npm/minimist' }] }], status: 'not_affected' }]), 'sha256:ref', digest);
  assert.equal(vexException(scoped, finding)?.status, 'not_affected', 'any version of the package');
});

test('the newest statement decides; only not_affected and fixed except', () => {
  const st = statementsFor(
    doc([
      { vulnerability: finding.id, products: [digest], status: 'not_affected', timestamp: '2026-02-01T00:00:00Z' },
      { vulnerability: finding.id, products: [digest], status: 'under_investigation', timestamp: '2026-01-15T00:00:00Z' },
    ]),
    'sha256:ref',
    digest,
  );
  assert.equal(vexException(st, finding)?.index, 0);
  const later = statementsFor(doc([{ vulnerability: finding.id, products: [digest], status: 'affected', timestamp: '2026-03-01T00:00:00Z' }]), 'sha256:ref2', digest);
  assert.equal(vexException([...st, ...later], finding), undefined);
  assert.throws(() => statementsFor({ not: 'vex' }, 'sha256:ref', digest), /not an OpenVEX document/);
});

test('documents in a policy: the digest, or (only there) a purl naming the repository without a digest', () => {
  const about = (product: unknown) => doc([{ vulnerability: finding.id, products: [product], status: 'not_affected' }]);
  const cases: [unknown, boolean][] = [
    [digest, true],
    ['pkg:oci/app?repository_url=r.example/team/app', true],
    [{ '@id': 'x', identifiers: { purl: 'pkg:oci/app?repository_url=r.example%2Fteam%2Fapp&tag=v1' } }, true],
    ['pkg:oci/app?repository_url=r.example/other/app', false],
    ['pkg:oci/app?repository_url=team/app/extra', false],
    ['pkg:oci/app', false],
    [`pkg:oci/app@${encodeURIComponent(`sha256:${'cd'.repeat(32)}`)}?repository_url=r.example/team/app`, false],
  ];
  for (const [product, ours] of cases) assert.equal(policyStatements([about(product)], digest, 'team/app').length, ours ? 1 : 0, JSON.stringify(product));
  // A signed referrer cannot name the repository that way: VEX from outside the policy is about one build.
  assert.equal(statementsFor(about('pkg:oci/app?repository_url=r.example/team/app'), 'sha256:ref', digest).length, 0);
  const [st] = policyStatements([{ statements: [{ vulnerability: finding.id, products: [digest], status: 'fixed' }] }], digest, 'team/app');
  assert.equal(st?.document, 'policy document 0');
  assert.equal(st?.referrer, 'policy');
});

test('trustedVex: policy documents count without keys; referrers are then left out, and say so', () => {
  const policyDoc = doc([{ vulnerability: finding.id, products: [digest], status: 'not_affected' }]);
  const referrer = { manifest: `sha256:${'ef'.repeat(32)}`, document: policyDoc, signatures: [] };
  const r = trustedVex([referrer], [], [{ documents: [policyDoc] }], { digest, repository: 'team/app' });
  assert.equal(r.statements.length, 1);
  assert.equal(vexException(r.statements, finding)?.referrer, 'policy');
  assert.match(r.ignored.join(' '), /1 VEX referrer\(s\) not read: the rule trusts no signing key/);
  assert.equal(trustedVex([referrer], [], [], { digest, repository: 'team/app' }).statements.length, 0, 'nothing trusted, nothing counts');
});
