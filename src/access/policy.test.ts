/**
 * The policy, by tables: every built-in role x every action x repository patterns, the
 * scope-map translation, and the token-grant rule (requested ∩ held, plus quarantine extras).
 * The expected tables are written out here, not derived from roles.ts, so a change to a
 * role's meaning has to change this file too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REGISTRY_ACTIONS, REPOSITORY_ACTIONS, noAccess, unrestrictedAccess } from './actions.ts';
import { BUILT_IN_ROLES, type RoleName } from './roles.ts';
import { accessFromGrants, anonymousGrants, grantRegistryAction, grantRepositoryActions, grantsFromRoles, grantsFromScopeMap, repositoryActions } from './policy.ts';
import { isValidPattern, matchesPattern } from './patterns.ts';
import { SYSTEM_SCOPE_MAPS, parseScopeMapAction } from './scope-maps.ts';

const P = { kind: 'user' as const, id: 'u1', name: 'alice' };

// p=pull s=push d=delete r=metadata_read w=metadata_write Q=quarantine_read W=quarantine_write
// X=quarantine_exception_write
const REPO_TABLE: Record<RoleName, string> = {
  Owner: 'psdrwX',
  Contributor: 'psdrw',
  Reader: 'pr',
  AcrPull: 'pr',
  AcrPush: 'psr',
  AcrDelete: 'd',
  AcrImageSigner: '',
  AcrQuarantineReader: 'prQ',
  AcrQuarantineWriter: 'prQWX',
};
const LETTER = { pull: 'p', push: 's', delete: 'd', metadata_read: 'r', metadata_write: 'w', quarantine_read: 'Q', quarantine_write: 'W', quarantine_exception_write: 'X' } as const;

// c=catalog g=configure a=admin l=audit_read
const REGISTRY_TABLE: Record<RoleName, string> = {
  Owner: 'cgalm',
  Contributor: 'cgl',
  Reader: 'cl',
  AcrPull: 'c',
  AcrPush: 'c',
  AcrDelete: '',
  AcrImageSigner: '',
  AcrQuarantineReader: 'c',
  AcrQuarantineWriter: 'c',
};
const RLETTER = { catalog: 'c', configure: 'g', admin: 'a', audit_read: 'l', metrics: 'm' } as const;

test('the table covers every built-in role', () => {
  assert.deepEqual(Object.keys(REPO_TABLE).sort(), [...BUILT_IN_ROLES].sort());
});

const CASES: { assignment?: string; repository: string; inScope: boolean }[] = [
  { assignment: undefined, repository: 'team-a/x', inScope: true },
  { assignment: '*', repository: 'anything/deep/name', inScope: true },
  { assignment: 'team-a/*', repository: 'team-a/x', inScope: true },
  { assignment: 'team-a/*', repository: 'team-a/x/y', inScope: true },
  { assignment: 'team-a/*', repository: 'team-b/x', inScope: false },
  { assignment: 'team-a/*', repository: 'team-a', inScope: false },
  { assignment: 'team-a/*', repository: 'team-ab/x', inScope: false },
  { assignment: 'team-a/app', repository: 'team-a/app', inScope: true },
  { assignment: 'team-a/app', repository: 'team-a/app2', inScope: false },
  { assignment: 'team-a/app', repository: 'team-a/app/sub', inScope: false },
];

for (const role of BUILT_IN_ROLES) {
  for (const c of CASES) {
    test(`${role} on ${c.assignment ?? '(registry-wide)'} -> ${c.repository}`, () => {
      const access = accessFromGrants(P, grantsFromRoles([{ role, repository: c.assignment }]));
      for (const action of REPOSITORY_ACTIONS) {
        const expected = c.inScope && REPO_TABLE[role].includes(LETTER[action]);
        assert.equal(access.can(c.repository, action), expected, `${role} ${action} on ${c.repository}`);
        // Rights over every repository (exceptions for `all`): only a registry-wide or `*` assignment.
        const everywhere = (c.assignment === undefined || c.assignment === '*') && REPO_TABLE[role].includes(LETTER[action]);
        assert.equal(access.canEveryUnder('', action), everywhere, `${role} ${action} on every repository`);
      }
      for (const action of REGISTRY_ACTIONS) {
        // Registry actions only from registry-wide assignments.
        const expected = c.assignment === undefined && REGISTRY_TABLE[role].includes(RLETTER[action]);
        assert.equal(access.canRegistry(action), expected, `${role} registry ${action}`);
      }
    });
  }
}

test('pull never includes quarantine read, for any role but the quarantine roles', () => {
  for (const role of BUILT_IN_ROLES) {
    const access = accessFromGrants(P, grantsFromRoles([{ role }]));
    assert.equal(access.can('x', 'quarantine_read'), role === 'AcrQuarantineReader' || role === 'AcrQuarantineWriter', role);
  }
});

test('assignments add up: AcrPull everywhere + AcrPush on team-a/*', () => {
  const g = grantsFromRoles([{ role: 'AcrPull' }, { role: 'AcrPush', repository: 'team-a/*' }]);
  assert.deepEqual(repositoryActions(g, 'team-a/x'), ['pull', 'push', 'metadata_read']);
  assert.deepEqual(repositoryActions(g, 'team-b/x'), ['pull', 'metadata_read']);
});

test('patterns: validation', () => {
  for (const ok of ['*', 'a', 'team-a/*', 'team-a/app', 'a/b/*']) assert.equal(isValidPattern(ok), true, ok);
  for (const bad of ['', '/*', 'team-a*', 'team-a/**', 'Team', '*/x', 'a/*/b', '../x', 'a b']) assert.equal(isValidPattern(bad), false, bad);
  assert.equal(matchesPattern('a/*', 'a/'), false);
});

test('scope maps: every verb, patterns, invalid strings', () => {
  assert.deepEqual(parseScopeMapAction('repositories/team-a/*/content/read'), { pattern: 'team-a/*', action: 'pull' });
  assert.deepEqual(parseScopeMapAction('repositories/x/content/write'), { pattern: 'x', action: 'push' });
  assert.deepEqual(parseScopeMapAction('repositories/*/content/delete'), { pattern: '*', action: 'delete' });
  assert.deepEqual(parseScopeMapAction('repositories/a/b/metadata/read'), { pattern: 'a/b', action: 'metadata_read' });
  assert.deepEqual(parseScopeMapAction('repositories/a/metadata/write'), { pattern: 'a', action: 'metadata_write' });
  assert.deepEqual(parseScopeMapAction('repositories/team-a/*/quarantine/exception-write'), { pattern: 'team-a/*', action: 'quarantine_exception_write' });
  for (const bad of ['repositories/a/content/sign', 'repositories/a/quarantine/write', 'repositories/a/quarantine/exception_write', 'repository/a/content/read', 'repositories//content/read', 'repositories/A/content/read', 'repositories/a/quarantine/read']) {
    assert.equal(parseScopeMapAction(bad), undefined, bad);
  }
});

test('system scope maps', () => {
  const actions = (name: string) => repositoryActions(grantsFromScopeMap(SYSTEM_SCOPE_MAPS[name]!.actions), 'any/repo');
  assert.deepEqual(actions('_repositories_admin'), ['pull', 'push', 'delete', 'metadata_read', 'metadata_write']);
  assert.deepEqual(actions('_repositories_pull'), ['pull']);
  assert.deepEqual(actions('_repositories_push'), ['pull', 'push']);
  const access = accessFromGrants(P, grantsFromScopeMap(SYSTEM_SCOPE_MAPS._repositories_admin!.actions));
  for (const a of REGISTRY_ACTIONS) assert.equal(access.canRegistry(a), false, `tokens never get ${a}`);
  assert.equal(access.can('x', 'quarantine_read'), false);
});

test('a token scoped to team-a/* cannot touch team-b/x', () => {
  const g = grantsFromScopeMap(['repositories/team-a/*/content/read', 'repositories/team-a/*/content/write']);
  assert.deepEqual(grantRepositoryActions(g, 'team-a/x', ['pull', 'push']), ['pull', 'push']);
  assert.deepEqual(grantRepositoryActions(g, 'team-b/x', ['pull', 'push']), []);
});

test('token grants: requested ∩ held, asking for more is not an error', () => {
  const pullOnly = grantsFromRoles([{ role: 'AcrPull' }]);
  assert.deepEqual(grantRepositoryActions(pullOnly, 'x', ['pull', 'push', 'delete']), ['pull']);
  assert.deepEqual(grantRepositoryActions(pullOnly, 'x', ['*']), ['pull', 'metadata_read']);
  assert.deepEqual(grantRepositoryActions(pullOnly, 'x', ['push']), []);
  assert.deepEqual(grantRepositoryActions(pullOnly, 'x', ['quarantine_read', 'quarantine_write']), []);
  assert.deepEqual(grantRepositoryActions(pullOnly, 'x', ['bogus']), []);
  const owner = grantsFromRoles([{ role: 'Owner' }]);
  assert.deepEqual(grantRepositoryActions(owner, 'x', ['*']), ['pull', 'push', 'delete', 'metadata_read', 'metadata_write', 'quarantine_exception_write']);
  assert.deepEqual(grantRepositoryActions(owner, 'x', ['pull']), ['pull', 'push'], 'exception write is not carried by an ordinary token');
  assert.deepEqual(grantRepositoryActions(owner, 'x', ['quarantine_exception_write']), ['quarantine_exception_write']);
  assert.deepEqual(grantRepositoryActions(owner, 'x', ['quarantine_read']), [], 'Owner cannot ask for held content');
});

// Issue 10 item 7: `crane digest` right after `crane push` asks for pull only; the holder's push
// right rides along so the gate shows the pusher its own held push (HEAD) and why a tag is held.
test('token grants: a holder of push asking for pull gets push recorded; nobody else does', () => {
  const pusher = grantsFromRoles([{ role: 'AcrPush' }]);
  assert.deepEqual(grantRepositoryActions(pusher, 'x', ['pull']), ['pull', 'push']);
  assert.deepEqual(grantRepositoryActions(pusher, 'x', ['metadata_read']), ['metadata_read'], 'only a granted pull carries it');
  assert.deepEqual(grantRepositoryActions(grantsFromRoles([{ role: 'AcrPull' }]), 'x', ['pull']), ['pull']);
  assert.deepEqual(grantRepositoryActions(grantsFromRoles([{ role: 'AcrQuarantineWriter' }]), 'x', ['pull']), ['pull', 'quarantine_read']);
  const scoped = grantsFromScopeMap(['repositories/team-a/*/content/read', 'repositories/team-a/*/content/write']);
  assert.deepEqual(grantRepositoryActions(scoped, 'team-a/x', ['pull']), ['pull', 'push']);
  assert.deepEqual(grantRepositoryActions(scoped, 'team-b/x', ['pull']), []);
});

test('token grants: quarantine extras ride in the repository entry, never push', () => {
  const reader = grantsFromRoles([{ role: 'AcrQuarantineReader' }]);
  assert.deepEqual(grantRepositoryActions(reader, 'x', ['pull']), ['pull', 'quarantine_read']);
  assert.deepEqual(grantRepositoryActions(reader, 'x', ['metadata_read']), ['metadata_read', 'quarantine_read']);
  assert.deepEqual(grantRepositoryActions(reader, 'x', ['push']), [], 'asked only for what it does not hold');
  const writer = grantsFromRoles([{ role: 'AcrQuarantineWriter' }]);
  // The seed's scanner asks for pull,push.
  assert.deepEqual(grantRepositoryActions(writer, 'x', ['pull', 'push']), ['pull', 'quarantine_read', 'quarantine_write']);
  assert.deepEqual(grantRepositoryActions(writer, 'x', ['metadata_write']), ['quarantine_read', 'quarantine_write']);
  assert.deepEqual(grantRepositoryActions(writer, 'x', ['pull']), ['pull', 'quarantine_read'], 'a pull token does not carry write');
  const writerOnTeamA = grantsFromRoles([{ role: 'AcrQuarantineWriter', repository: 'team-a/*' }]);
  assert.deepEqual(grantRepositoryActions(writerOnTeamA, 'team-b/x', ['pull', 'push']), []);
  const pusherAndWriter = grantsFromRoles([{ role: 'AcrPush' }, { role: 'AcrQuarantineWriter' }]);
  assert.deepEqual(grantRepositoryActions(pusherAndWriter, 'x', ['pull', 'push']), ['pull', 'push', 'quarantine_read', 'quarantine_write']);
});

test('registry scopes and anonymous', () => {
  const reader = grantsFromRoles([{ role: 'Reader' }]);
  assert.equal(grantRegistryAction(reader, 'catalog'), true);
  assert.equal(grantRegistryAction(reader, 'admin'), false);
  assert.equal(grantRegistryAction(reader, 'bogus'), false);
  const anon = accessFromGrants({ kind: 'anonymous', id: 'anonymous', name: 'anonymous' }, anonymousGrants(true));
  assert.equal(anon.can('x', 'pull'), true);
  for (const a of REPOSITORY_ACTIONS.filter((a) => a !== 'pull')) assert.equal(anon.can('x', a), false, a);
  for (const a of REGISTRY_ACTIONS) assert.equal(anon.canRegistry(a), false, a);
  const off = accessFromGrants({ kind: 'anonymous', id: 'anonymous', name: 'anonymous' }, anonymousGrants(false));
  for (const a of REPOSITORY_ACTIONS) assert.equal(off.can('x', a), false, a);
});

test('rights over a prefix (exceptions for patterns): covered only by an assignment on all of it', () => {
  const onTeamA = accessFromGrants(P, grantsFromRoles([{ role: 'AcrQuarantineWriter', repository: 'team-a/*' }]));
  assert.equal(onTeamA.canEveryUnder('team-a/', 'quarantine_exception_write'), true);
  assert.equal(onTeamA.canEveryUnder('team-a/api/', 'quarantine_exception_write'), true);
  assert.equal(onTeamA.canEveryUnder('team-a', 'quarantine_exception_write'), false, 'team-a* reaches team-ab');
  assert.equal(onTeamA.canEveryUnder('team-b/', 'quarantine_exception_write'), false);
  assert.equal(onTeamA.canEveryUnder('', 'quarantine_exception_write'), false);
  const onApp = accessFromGrants(P, grantsFromRoles([{ role: 'AcrQuarantineWriter', repository: 'team-a/app' }]));
  assert.equal(onApp.can('team-a/app', 'quarantine_exception_write'), true);
  assert.equal(onApp.canEveryUnder('team-a/app', 'quarantine_exception_write'), false, 'a name covers no prefix');
  const token = accessFromGrants(P, grantsFromScopeMap(['repositories/ci/*/quarantine/exception-write']));
  assert.equal(token.canEveryUnder('ci/', 'quarantine_exception_write'), true);
  assert.equal(token.can('ci/x', 'quarantine_read'), false, 'the verb reads nothing held');
  assert.equal(token.can('ci/x', 'quarantine_write'), false);
  for (const a of ['quarantine_read', 'quarantine_write', 'quarantine_exception_write'] as const) {
    assert.equal(unrestrictedAccess().can('x', a), false, `auth mode none: no ${a}`);
    assert.equal(unrestrictedAccess().canEveryUnder('', a), false);
  }
  assert.equal(noAccess().canEveryUnder('', 'pull'), false);
});
