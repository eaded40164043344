/** Conformance of the identity role objects (contract: ../identity-store.ts), on every backend. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetadataSuiteContext } from '../../metadata/suite/context.ts';
import type { IdentityRoles } from './identity-store.ts';

export function identitiesSection({ store, unique }: MetadataSuiteContext<IdentityRoles>): void {
  describe('identities', () => {
    test('users: create is atomic on the name; get, list, set password, delete (with assignments)', async () => {
      const name = unique('user');
      const u = await store().users.create(name, 'scrypt$hash1');
      assert.ok(u);
      assert.equal(await store().users.create(name, 'scrypt$other'), undefined, 'name taken');
      assert.deepEqual(await store().users.get(name), u);
      assert.deepEqual(await store().users.getById(u.id), u);
      assert.ok((await store().users.list()).some((x) => x.name === name));
      assert.ok((await store().users.count()) >= 1);
      assert.equal(await store().users.setPasswordHash(name, 'scrypt$hash2'), true);
      assert.equal((await store().users.get(name))!.passwordHash, 'scrypt$hash2');
      assert.equal(await store().users.setPasswordHash(unique('ghost'), 'x'), false);

      const a1 = await store().roleAssignments.add(u.id, 'AcrPull');
      const again = await store().roleAssignments.add(u.id, 'AcrPull');
      assert.equal(again.id, a1.id, 'idempotent');
      await store().roleAssignments.add(u.id, 'AcrPush', 'team-a/*');
      const mine = await store().roleAssignments.listForUser(u.id);
      assert.deepEqual(mine.map((a) => [a.role, a.repository, a.userName]), [['AcrPull', undefined, name], ['AcrPush', 'team-a/*', name]]);
      assert.equal(await store().roleAssignments.remove(u.id, 'AcrPush'), false, 'registry-wide differs from a pattern');
      assert.equal(await store().roleAssignments.remove(u.id, 'AcrPush', 'team-a/*'), true);

      assert.equal(await store().users.delete(name), true);
      assert.equal(await store().users.get(name), undefined);
      assert.deepEqual(await store().roleAssignments.listForUser(u.id), []);
      assert.equal(await store().users.delete(name), false);
    });

    test('login throttle: ensure is idempotent; compare-and-set lets exactly one of two racers win; refund, prune, delete', async () => {
      const key = unique('pair:10.0.0.1|who');
      assert.equal(await store().loginThrottle.get(key), undefined);
      await store().loginThrottle.ensure(key, 1000);
      await store().loginThrottle.ensure(key, 2000);
      const empty = await store().loginThrottle.get(key);
      assert.deepEqual(empty, { failures: 0, blockedUntil: 0, updatedAt: 1000 });
      const results = await Promise.all([
        store().loginThrottle.compareAndSet(key, empty!, { failures: 1, blockedUntil: 0, updatedAt: 3000 }),
        store().loginThrottle.compareAndSet(key, empty!, { failures: 1, blockedUntil: 0, updatedAt: 3001 }),
      ]);
      assert.deepEqual(results.filter(Boolean).length, 1, 'one racer wins');
      const one = (await store().loginThrottle.get(key))!;
      assert.equal(one.failures, 1);
      assert.equal(await store().loginThrottle.compareAndSet(key, empty!, { failures: 9, blockedUntil: 9, updatedAt: 9 }), false, 'stale read loses');
      assert.equal(await store().loginThrottle.compareAndSet(key, one, { failures: 2, blockedUntil: 5000, updatedAt: 4000 }), true);
      await store().loginThrottle.refund(key);
      await store().loginThrottle.refund(key);
      await store().loginThrottle.refund(key);
      assert.deepEqual(await store().loginThrottle.get(key), { failures: 0, blockedUntil: 5000, updatedAt: 4000 }, 'never below 0');
      assert.equal(await store().loginThrottle.prune(4500, 4999), 0, 'still blocking: kept');
      assert.ok((await store().loginThrottle.prune(4500, 5000)) >= 1);
      assert.equal(await store().loginThrottle.get(key), undefined);
      await store().loginThrottle.ensure(key, 1);
      await store().loginThrottle.delete(key);
      assert.equal(await store().loginThrottle.get(key), undefined);
    });

    test('tokens: two passwords with expiry, status, scope map, delete', async () => {
      const name = unique('token');
      const t = await store().registryTokens.create(name, '_repositories_pull', 'enabled');
      assert.ok(t);
      assert.equal(await store().registryTokens.create(name, 'x', 'enabled'), undefined);
      const expiry = new Date('2030-01-02T03:04:05.678Z');
      await store().registryTokens.setPassword(t.id, { name: 'password1', hash: 'sha256$a' });
      await store().registryTokens.setPassword(t.id, { name: 'password2', hash: 'sha256$b', expiry });
      await store().registryTokens.setPassword(t.id, { name: 'password1', hash: 'sha256$c' });
      const got = (await store().registryTokens.get(name))!;
      assert.deepEqual(got.passwords.map((p) => [p.name, p.hash, p.expiry?.toISOString()]), [['password1', 'sha256$c', undefined], ['password2', 'sha256$b', expiry.toISOString()]]);
      assert.deepEqual(await store().registryTokens.getById(t.id), got);
      assert.equal((await store().registryTokens.update(name, { status: 'disabled', scopeMap: 'm2' }))!.status, 'disabled');
      assert.deepEqual(await store().registryTokens.usingScopeMap('m2'), [name]);
      assert.equal(await store().registryTokens.removePassword(t.id, 'password2'), true);
      assert.equal(await store().registryTokens.removePassword(t.id, 'password2'), false);
      assert.equal(await store().registryTokens.delete(name), true);
      assert.equal(await store().registryTokens.get(name), undefined);
      assert.equal(await store().registryTokens.update(name, { status: 'enabled' }), undefined);
    });

    test('scope maps and trusted issuers: put creates then replaces; delete', async () => {
      const m = unique('map');
      assert.equal((await store().scopeMaps.put(m, 'd', ['repositories/a/content/read'])).created, true);
      const r = await store().scopeMaps.put(m, 'd2', ['repositories/b/content/write']);
      assert.equal(r.created, false);
      assert.deepEqual([r.record.description, r.record.actions], ['d2', ['repositories/b/content/write']]);
      assert.deepEqual(await store().scopeMaps.get(m), r.record);
      assert.equal(await store().scopeMaps.delete(m), true);
      assert.equal(await store().scopeMaps.get(m), undefined);

      const i = unique('issuer');
      const config = { issuer: 'https://x', audience: 'a', rules: [{ match: '*', roles: [{ role: 'AcrPull' }] }] };
      assert.equal((await store().trustedIssuers.put(i, config)).created, true);
      assert.deepEqual((await store().trustedIssuers.get(i))!.config, config);
      assert.equal((await store().trustedIssuers.put(i, { ...config, audience: 'b' })).created, false);
      assert.ok((await store().trustedIssuers.list()).some((x) => x.name === i && x.config.audience === 'b'));
      assert.equal(await store().trustedIssuers.delete(i), true);
      assert.equal(await store().trustedIssuers.delete(i), false);
    });

    test('signing keys: newest first, retire all but one, purge the long retired', async () => {
      const k1 = unique('kid');
      const k2 = unique('kid');
      const jwk = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' };
      await store().signingKeys.add({ kid: k1, alg: 'ES256', privateJwk: { ...jwk, d: 'd' }, publicJwk: jwk, createdAt: new Date(Date.now() - 1000) });
      await store().signingKeys.add({ kid: k2, alg: 'ES256', privateJwk: { ...jwk, d: 'd' }, publicJwk: jwk, createdAt: new Date() });
      const listed = (await store().signingKeys.list()).filter((k) => k.kid === k1 || k.kid === k2);
      assert.deepEqual(listed.map((k) => k.kid), [k2, k1]);
      assert.deepEqual(listed[0]!.privateJwk, { ...jwk, d: 'd' });
      const at = new Date(Date.now() - 10_000);
      await store().signingKeys.retireAllExcept(k2, at);
      const after = (await store().signingKeys.list()).filter((k) => k.kid === k1 || k.kid === k2);
      assert.equal(after.find((k) => k.kid === k2)!.retiredAt, undefined);
      assert.equal(after.find((k) => k.kid === k1)!.retiredAt!.getTime(), at.getTime());
      assert.ok((await store().signingKeys.purgeRetired(new Date(Date.now() - 5000))) >= 1);
      assert.deepEqual((await store().signingKeys.list()).filter((k) => k.kid === k1), []);
    });
  });
}
