import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { checkAttestation, pae, type Attestation } from './attestations.ts';
import { normalizeRepository, provenanceFacts } from './provenance.ts';
import { trustedKeys } from './cosign.ts';
import { parsePolicyDocument } from './document.ts';

test('PAE is the DSSE specification\'s encoding (its own example)', () => {
  assert.equal(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString(), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
});

test('repository URIs compare without git+, @ref, #fragment, .git and trailing slashes', () => {
  for (const uri of ['git+https://github.com/org/app@refs/heads/main', 'https://github.com/org/app.git', 'https://github.com/org/app/', 'git+https://github.com/org/app.git#sub/dir', 'https://github.com/org/app']) {
    assert.equal(normalizeRepository(uri), 'https://github.com/org/app', uri);
  }
  assert.equal(normalizeRepository('git+ssh://git@github.com/org/app@v1'), 'ssh://git@github.com/org/app', 'a user@host before the path stays');
});

test('builder and sources from SLSA v1 and v0.2 predicates', () => {
  const v1 = provenanceFacts({ predicateType: 'https://slsa.dev/provenance/v1', subjects: [], predicate: { buildDefinition: { externalParameters: { source: { uri: 'git+https://x/a@main' } }, resolvedDependencies: [{ uri: 'pkg:npm/left-pad@1' }, { uri: 'git+https://x/b' }] }, runDetails: { builder: { id: 'B1' } } } });
  assert.deepEqual(v1, { predicateType: 'https://slsa.dev/provenance/v1', builderId: 'B1', sourceRepositories: ['git+https://x/a@main', 'git+https://x/b'] });
  const v02 = provenanceFacts({ predicateType: 'https://slsa.dev/provenance/v0.2', subjects: [], predicate: { builder: { id: 'B2' }, invocation: { configSource: { uri: 'git+https://x/c' } } } });
  assert.deepEqual(v02, { predicateType: 'https://slsa.dev/provenance/v0.2', builderId: 'B2', sourceRepositories: ['git+https://x/c'] });
});

test('a signature over the payload alone (not the PAE) does not verify', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = trustedKeys([publicKey.export({ type: 'spki', format: 'pem' }).toString()]);
  const digest = `sha256:${'ab'.repeat(32)}`;
  const payload = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: 'ab'.repeat(32) } }], predicateType: 'https://slsa.dev/provenance/v1', predicate: {} }));
  const att = (data: Buffer): Attestation => ({ source: { manifest: 'sha256:m', scheme: 'referrer', layer: 'sha256:l' }, envelope: { payloadType: 'application/vnd.in-toto+json', payload, signatures: [{ sig: sign('sha256', data, privateKey).toString('base64') }] } });
  assert.equal(checkAttestation(att(pae('application/vnd.in-toto+json', payload)), digest, keys).valid, true);
  assert.deepEqual(checkAttestation(att(payload), digest, keys), { valid: false, problem: 'no trusted key verifies it (wrong key or altered payload)' });
});

test('the document: provenance needs keys, knows its fields, defaults required to true', async () => {
  const doc = (provenance: unknown) => ({ name: 'p', repositories: ['a/*'], rules: [{ name: 'prov', provenance }] });
  assert.equal((await parsePolicyDocument(doc({ cosign: { keys: ['-----BEGIN PUBLIC KEY-----\n...'] } }))).rules[0]!.provenance!.required, true);
  await assert.rejects(parsePolicyDocument(doc({ builderId: 'x' })), /rules\[0\]\.provenance\.cosign is required/);
  await assert.rejects(parsePolicyDocument(doc({ cosign: { keys: ['-----BEGIN PUBLIC KEY-----'] }, builder: 'x' })), /rules\[0\]\.provenance\.builder is not a known field/);
});
