import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyDocument, PolicyDocumentError } from './document.ts';
import { EXAMPLE } from '../../test/helpers/release-policy.ts';
import { governingPolicy, isValidPolicyPattern, matchesPolicyPattern } from './patterns.ts';


const refused = async (text: string | unknown, field: string, problem: RegExp) => {
  await assert.rejects(parsePolicyDocument(text), (err: unknown) => {
    assert.ok(err instanceof PolicyDocumentError, String(err));
    assert.equal(err.field, field, err.message);
    assert.match(err.problem, problem);
    return true;
  });
};

test('the example document is accepted as written, defaults filled in', async () => {
  const doc = await parsePolicyDocument(EXAMPLE);
  assert.equal(doc.name, 'team-a');
  assert.deepEqual(doc.repositories, ['team-a/*']);
  assert.equal(doc.onViolation, 'notify');
  assert.deepEqual(doc.rules.map((r) => r.name), ['no-critical', 'signed-by-ci', 'no-old-log4j']);
  assert.equal(doc.rules[1]!.signatures!.min, 1);
  assert.deepEqual(doc.exceptions, { requireApproval: false });
  // JSON is YAML: the same document as JSON reads the same.
  assert.deepEqual(await parsePolicyDocument(JSON.stringify(doc)), doc);
});

test('bad documents name the field', async () => {
  await refused('name: [', 'document', /not valid YAML or JSON at line 1/);
  await refused('- a', 'document', /must be an object/);
  await refused({ name: 'Team A', repositories: ['a'], rules: [{ name: 'x', cel: 'true' }] }, 'name', /lowercase/);
  await refused({ name: 'a', rules: [{ name: 'x', cel: 'true' }] }, 'repositories', /is required/);
  await refused({ name: 'a', repositories: ['team-a/***'], rules: [{ name: 'x', cel: 'true' }] }, 'repositories[0]', /globs/);
  await refused({ name: 'a', repositories: ['a'], rules: [{ name: 'x', vulnerabilities: { maxSeverity: 'Severe' } }] }, 'rules[0].vulnerabilities.maxSeverity', /one of None, Low, Medium, High, Critical/);
  await refused({ name: 'a', repositories: ['a'], rules: [{ name: 'x', signatures: { min: 0, cosign: { keys: ['-----BEGIN PUBLIC KEY-----'] } } }] }, 'rules[0].signatures.min', /at least 1/);
  await refused({ name: 'a', repositories: ['a'], rules: [{ name: 'x' }] }, 'rules[0]', /exactly one of vulnerabilities, signatures, sbom, provenance, cel \(has none\)/);
  await refused({ name: 'a', repositories: ['a'], rules: [{ name: 'x', cel: 'true', sbom: {} }] }, 'rules[0]', /has sbom, cel/);
  await refused({ name: 'a', repositories: ['a'], rules: [{ name: 'x', cel: 'true' }, { name: 'x', cel: 'true' }] }, 'rules[1].name', /unique/);
  await refused({ name: 'a', repositories: ['a'], rules: [{ name: 'x', cel: 'true' }], colour: 'red' }, 'colour', /is not a known field/);
  await refused({ name: 'a', repositories: ['a'], gracePeriod: '72h', rules: [{ name: 'x', cel: 'true' }] }, 'gracePeriod', /requarantine/);
  await refused({ name: 'a', repositories: ['a'], onViolation: 'requarantine', gracePeriod: '3 days', rules: [{ name: 'x', cel: 'true' }] }, 'gracePeriod', /duration/);
  const vexRule = (vex: unknown) => ({ name: 'a', repositories: ['a'], rules: [{ name: 'x', vulnerabilities: { maxSeverity: 'High', vex } }] });
  await refused(vexRule({}), 'rules[0].vulnerabilities.vex', /cosign keys, keyless identities or documents/);
  await refused(vexRule({ documents: [{ statements: [{ vulnerability: 'CVE-1', products: ['sha256:x'], status: 'not-affected' }] }] }), 'rules[0].vulnerabilities.vex.documents[0].statements[0].status', /./);
  await refused(vexRule({ documents: [{ author: 'me' }] }), 'rules[0].vulnerabilities.vex.documents[0].statements', /is required/);
  // A VEX document in the policy, without any signing key, is a complete `vex`.
  const ok = await parsePolicyDocument(vexRule({ documents: [{ statements: [{ vulnerability: { name: 'CVE-1' }, products: ['pkg:oci/app?repository_url=r.example/a'], status: 'not_affected', justification: 'component_not_present' }] }] }));
  assert.equal(ok.rules[0]!.vulnerabilities!.vex!.documents!.length, 1);
  assert.equal((ok.rules[0]!.vulnerabilities!.vex!.documents![0]!.statements[0] as { justification?: string }).justification, 'component_not_present', 'OpenVEX fields the schema does not name are kept (subcomponents narrow a statement)');
});

test('a CEL rule that does not compile names the rule and the position', async () => {
  await refused({ name: 'a', repositories: ['a'], rules: [{ name: 'ok', cel: 'true' }, { name: 'broken', cel: 'sbom.packages.exists(p, p.name == )' }] }, 'rules[1].cel', /\(rule broken\) does not compile at line 1, column \d+/);
});

test('patterns: * is one segment, ** any depth, most specific wins, disabled policies are skipped', () => {
  assert.ok(matchesPolicyPattern('team-a/*', 'team-a/api'));
  assert.ok(!matchesPolicyPattern('team-a/*', 'team-a/api/v2'));
  assert.ok(!matchesPolicyPattern('team-a/*', 'team-ab/api'));
  assert.ok(!matchesPolicyPattern('team-a/*', 'team-a'));
  assert.ok(matchesPolicyPattern('prod/**', 'prod/a/b'));
  assert.ok(!matchesPolicyPattern('prod/**', 'prod'));
  assert.ok(matchesPolicyPattern('**', 'x'));
  assert.ok(matchesPolicyPattern('a/**/c', 'a/c') && matchesPolicyPattern('a/**/c', 'a/b/b/c'));
  assert.ok(matchesPolicyPattern('app-*', 'app-web') && !matchesPolicyPattern('app-*', 'app.web/x'));
  assert.ok(!isValidPolicyPattern('Team/*') && !isValidPolicyPattern('a//b') && !isValidPolicyPattern('') && isValidPolicyPattern('a/**'));
  const policies = [
    { name: 'all', repositories: ['**'], enabled: true },
    { name: 'prod', repositories: ['prod/**'], enabled: true },
    { name: 'prod-web', repositories: ['prod/web/*'], enabled: true },
    { name: 'exact', repositories: ['prod/web/api'], enabled: true },
    { name: 'off', repositories: ['prod/web/api', 'prod/db'], enabled: false },
  ];
  assert.equal(governingPolicy(policies, 'prod/web/api')?.policy.name, 'exact');
  assert.equal(governingPolicy(policies, 'prod/web/ui')?.policy.name, 'prod-web');
  assert.equal(governingPolicy(policies, 'prod/db')?.policy.name, 'prod');
  assert.equal(governingPolicy(policies, 'dev/x')?.policy.name, 'all');
  assert.equal(governingPolicy(policies.slice(1), 'dev/x'), undefined);
});
