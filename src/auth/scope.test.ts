import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatScope, parseScope, parseScopes } from './scope.ts';
import { globMatch } from './federation.ts';

test('scopes: names with slashes and ports, classes, several per parameter, malformed ones dropped', () => {
  assert.deepEqual(parseScope('repository:team/app:pull,push'), { type: 'repository', name: 'team/app', actions: ['pull', 'push'] });
  assert.deepEqual(parseScope('repository(plugin):x:pull'), { type: 'repository', name: 'x', actions: ['pull'] });
  assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  for (const bad of ['', 'repository', 'repository:x', ':x:pull', 'repository::pull', 'repository:x:', 'Repo!:x:pull']) assert.equal(parseScope(bad), undefined, bad);
  assert.deepEqual(parseScopes(['repository:a:pull repository:b:push', 'registry:catalog:*', 'junk']).map(formatScope), ['repository:a:pull', 'repository:b:push', 'registry:catalog:*']);
  assert.deepEqual(parseScopes(undefined), []);
});

test('issuer rule globs', () => {
  assert.equal(globMatch('repo:org/*', 'repo:org/app:ref:main'), true);
  assert.equal(globMatch('repo:org/*', 'repo:org2/app'), false);
  assert.equal(globMatch('a.b', 'axb'), false, 'dots are literal');
  assert.equal(globMatch('exact', 'exact'), true);
  assert.equal(globMatch('exact', 'exactly'), false);
});
