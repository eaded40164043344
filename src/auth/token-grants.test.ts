import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grantScopes } from './token-routes.ts';
import { grantsFromAccessClaim, type Identity } from './identities.ts';
import { accessFromGrants, grantsFromRoles } from '../access/policy.ts';

const identity = (assignments: Parameters<typeof grantsFromRoles>[0]): Identity => ({
  principal: { kind: 'user', id: 'u1', name: 'u1' },
  grants: grantsFromRoles(assignments),
  subject: { sub: 'user:u1', kind: 'user', name: 'u1' },
});

test('a catalog token carries the quarantine-read patterns, and nothing more', () => {
  const reader = identity([{ role: 'AcrQuarantineReader', repository: 'team-a/*' }, { role: 'AcrPull' }]);
  const claim = grantScopes(reader, [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
  assert.deepEqual(claim, [{ type: 'registry', name: 'catalog', actions: ['*'], quarantineReadPatterns: ['team-a/*'] }]);
  const access = accessFromGrants(reader.principal, grantsFromAccessClaim(claim));
  assert.equal(access.canRegistry('catalog'), true);
  assert.equal(access.can('team-a/app', 'quarantine_read'), true);
  assert.equal(access.can('team-b/app', 'quarantine_read'), false);
  for (const action of ['pull', 'push', 'metadata_read', 'quarantine_write'] as const) {
    assert.equal(access.can('team-a/app', action), false, `${action} must not ride along`);
  }
});

test('a catalog token of an identity without quarantine read has no patterns', () => {
  const puller = identity([{ role: 'AcrPull' }]);
  assert.deepEqual(grantScopes(puller, [{ type: 'registry', name: 'catalog', actions: ['*'] }]), [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
});

test('patterns on any entry other than the catalog are ignored', () => {
  const grants = grantsFromAccessClaim([{ type: 'repository', name: 'x', actions: ['pull'], quarantineReadPatterns: ['*'] }]);
  assert.deepEqual(grants.repository, [{ pattern: 'x', actions: ['pull'] }]);
});
