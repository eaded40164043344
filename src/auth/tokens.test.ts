import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JWTHeaderParameters } from 'jose';
import type { SigningKeyRecord, SigningKeyStore } from './store/identity-store.ts';
import { createKeyRing, type KeyRing } from './signing-keys.ts';
import { createTokenService } from './tokens.ts';

function memoryKeyStore(): SigningKeyStore & { rows: SigningKeyRecord[] } {
  const rows: SigningKeyRecord[] = [];
  return {
    rows,
    async list() {
      return [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    },
    async add(key) {
      rows.push({ ...key });
    },
    async retireAllExcept(keep, at) {
      for (const r of rows) if (r.kid !== keep && !r.retiredAt) r.retiredAt = at;
    },
    async purgeRetired(before) {
      const n = rows.length;
      for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.retiredAt && rows[i]!.retiredAt! < before) rows.splice(i, 1);
      return n - rows.length;
    },
  };
}

/** The real key ring, counting how often a full verification asked it for a key. */
function counted(ring: KeyRing) {
  const c = { lookups: 0 };
  const wrapped: KeyRing = {
    ...ring,
    verificationKey: (h: JWTHeaderParameters) => {
      c.lookups++;
      return ring.verificationKey(h);
    },
  };
  return { ring: wrapped, c };
}

const subject = { sub: 'user:1', kind: 'user' as const, name: 'alice' };
const access = [{ type: 'repository', name: 'a/b', actions: ['pull'] }];

test('a repeated verification is served from the cache with the same, frozen claims', async () => {
  const store = memoryKeyStore();
  const { ring, c } = counted(createKeyRing({ store, maxTokenLifetimeSeconds: 3600 }));
  const tokens = createTokenService({ keys: ring, accessTtlSeconds: 300, refreshTtlSeconds: 3600 });
  const { token } = await tokens.issueAccessToken(subject, 'reg', access);
  const first = await tokens.verifyAccessToken(token, 'reg');
  const second = await tokens.verifyAccessToken(token, 'reg');
  assert.equal(c.lookups, 1);
  assert.deepEqual(second, first);
  assert.equal(second.sub, 'user:1');
  assert.ok(Object.isFrozen(second) && Object.isFrozen(second.access[0]));
});

test('a cached token is exactly as strict: other audience, other grant type and altered bytes are refused', async () => {
  const store = memoryKeyStore();
  const ring = createKeyRing({ store, maxTokenLifetimeSeconds: 3600 });
  const tokens = createTokenService({ keys: ring, accessTtlSeconds: 300, refreshTtlSeconds: 3600 });
  const { token } = await tokens.issueAccessToken(subject, 'reg', access);
  await tokens.verifyAccessToken(token, 'reg');
  await assert.rejects(tokens.verifyAccessToken(token, 'other-service'), /aud/);
  await assert.rejects(tokens.verifyRefreshToken(token, 'reg'), /not a refresh token/);
  const [h, p, s] = token.split('.');
  const flipped = `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'AB' : 'AA'}`;
  await assert.rejects(tokens.verifyAccessToken(flipped, 'reg'));
  const { token: refresh } = await tokens.issueRefreshToken(subject, 'reg');
  await tokens.verifyRefreshToken(refresh, 'reg');
  await assert.rejects(tokens.verifyAccessToken(refresh, 'reg'), /not a access token/);
});

test('a cache hit never outlives the token exp: after exp the token is verified in full again', async () => {
  const store = memoryKeyStore();
  const { ring, c } = counted(createKeyRing({ store, maxTokenLifetimeSeconds: 3600 }));
  const tokens = createTokenService({ keys: ring, accessTtlSeconds: 1, refreshTtlSeconds: 3600 });
  const { token } = await tokens.issueAccessToken(subject, 'reg', access);
  const claims = await tokens.verifyAccessToken(token, 'reg');
  await tokens.verifyAccessToken(token, 'reg');
  assert.equal(c.lookups, 1);
  await new Promise((r) => setTimeout(r, Math.max(0, (claims.exp as number) * 1000 - Date.now()) + 20));
  // Still inside the 30 s clock leeway, so the full verification accepts it: but it had to run.
  await tokens.verifyAccessToken(token, 'reg');
  assert.equal(c.lookups, 2);
});

test('rotating or removing signing keys forgets cached verifications', async () => {
  const store = memoryKeyStore();
  const base = createKeyRing({ store, maxTokenLifetimeSeconds: 3600 });
  const { ring, c } = counted(base);
  const tokens = createTokenService({ keys: ring, accessTtlSeconds: 300, refreshTtlSeconds: 3600 });
  const { token } = await tokens.issueAccessToken(subject, 'reg', access);
  await tokens.verifyAccessToken(token, 'reg');
  await tokens.verifyAccessToken(token, 'reg');
  assert.equal(c.lookups, 1);
  await base.rotate();
  await tokens.verifyAccessToken(token, 'reg'); // the retired key still verifies, in full
  assert.equal(c.lookups, 2);
  // Remove the key that signed the token (as an operator deleting it from the store would), then
  // make the ring re-read the store: the cached verification must not survive.
  const { kid } = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
  store.rows.splice(store.rows.findIndex((r) => r.kid === kid), 1);
  await base.rotate();
  await assert.rejects(tokens.verifyAccessToken(token, 'reg'), /unknown signing key/);
});

test('the cache is bounded', async () => {
  const store = memoryKeyStore();
  const { ring, c } = counted(createKeyRing({ store, maxTokenLifetimeSeconds: 3600 }));
  const tokens = createTokenService({ keys: ring, accessTtlSeconds: 300, refreshTtlSeconds: 3600, cacheEntries: 2 });
  const issued = [];
  for (let i = 0; i < 3; i++) issued.push((await tokens.issueAccessToken({ ...subject, sub: `user:${i}` }, 'reg', access)).token);
  for (const t of issued) await tokens.verifyAccessToken(t, 'reg');
  assert.equal(c.lookups, 3);
  await tokens.verifyAccessToken(issued[2]!, 'reg');
  await tokens.verifyAccessToken(issued[1]!, 'reg');
  assert.equal(c.lookups, 3);
  await tokens.verifyAccessToken(issued[0]!, 'reg'); // evicted
  assert.equal(c.lookups, 4);
});
