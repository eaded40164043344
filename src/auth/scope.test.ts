import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatScope, parseScope, parseScopes } from './scope.ts';
import { createLoginLimiter } from './brute-force.ts';
import { globMatch } from './federation.ts';
import { RegistryError } from '../errors/registry-error.ts';

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

test('login limiter: free allowance, then exponential delay per identity and per address', () => {
  const limiter = createLoginLimiter({ perIdentity: 2, perAddress: 4, maxDelaySeconds: 8 });
  const blocked = (id: string | undefined, ip: string) => {
    try {
      limiter.check(id, ip);
      return 0;
    } catch (err) {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, 429);
      return Number(err.headers['Retry-After']);
    }
  };
  limiter.fail('bob', '10.0.0.1');
  assert.equal(blocked('bob', '10.0.0.1'), 0);
  limiter.fail('bob', '10.0.0.1');
  assert.equal(blocked('bob', '10.0.0.2'), 1, 'the identity is slowed from any address');
  limiter.fail('bob', '10.0.0.1');
  assert.equal(blocked('bob', '10.0.0.2'), 2, 'doubling');
  assert.equal(blocked('carol', '10.0.0.2'), 0, 'others unaffected');
  limiter.fail('dave', '10.0.0.1');
  assert.equal(blocked('erin', '10.0.0.1'), 1, 'the address is slowed for every identity after 4 failures');
  limiter.succeed('bob');
  assert.equal(blocked('bob', '10.0.0.3'), 0, 'success clears the identity');
  for (let i = 0; i < 20; i++) limiter.fail('frank', '10.0.0.9');
  assert.equal(blocked('frank', '10.0.0.8'), 8, 'capped');
});
