/**
 * The login throttle's rules on a real SQLite store with a controlled clock; the PostgreSQL
 * path is the same statements (store suite) and the cluster test shares one database.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type MetadataStore } from '../persistence/index.ts';
import { RegistryError } from '../errors/registry-error.ts';
import { createLoginLimiter, type LoginLimiter } from './brute-force.ts';

let dir: string;
let store: MetadataStore;
let clock = 1_000_000;
const now = () => clock;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lazaret-throttle-'));
  store = await openSqliteStore(join(dir, 'lazaret.db'));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** 0 when the attempt was counted, else the Retry-After seconds of the 429. */
async function tryLogin(limiter: LoginLimiter, who: string | undefined, address: string, outcome: 'fail' | 'succeed' = 'fail'): Promise<number> {
  try {
    const r = await limiter.reserve(who, address);
    await (outcome === 'fail' ? r.failed() : r.succeeded());
    return 0;
  } catch (err) {
    assert.ok(err instanceof RegistryError);
    assert.equal(err.status, 429);
    return Number(err.headers['Retry-After']);
  }
}

test('per (identity, address): free allowance, then exponential delay; other addresses of the same identity unaffected', async () => {
  const limiter = createLoginLimiter(store.loginThrottle, { perPair: 3, perAddress: 100, maxDelaySeconds: 8, now });
  for (let i = 0; i < 3; i++) assert.equal(await tryLogin(limiter, 'admin', '10.0.0.1'), 0);
  assert.equal(await tryLogin(limiter, 'admin', '10.0.0.1'), 1, 'slowed after the allowance');
  assert.equal(await tryLogin(limiter, 'admin', '10.0.0.2', 'succeed'), 0, 'the real admin elsewhere is not locked out');
  clock += 1000;
  assert.equal(await tryLogin(limiter, 'admin', '10.0.0.1'), 0);
  assert.equal(await tryLogin(limiter, 'admin', '10.0.0.1'), 2, 'doubling');
  clock += 2000;
  assert.equal(await tryLogin(limiter, 'admin', '10.0.0.1'), 0);
  clock += 4000;
  assert.equal(await tryLogin(limiter, 'admin', '10.0.0.1'), 0);
  assert.equal(await tryLogin(limiter, 'admin', '10.0.0.1'), 8, 'capped');
  clock += 8000;
  assert.equal(await tryLogin(limiter, 'admin', '10.0.0.1', 'succeed'), 0);
  assert.equal(await tryLogin(limiter, 'admin', '10.0.0.1'), 0, 'a success clears the pair');
  clock += 16 * 60_000;
});

test('per address: every identity from a guessing address is slowed; a success gives the address its attempt back', async () => {
  const limiter = createLoginLimiter(store.loginThrottle, { perPair: 100, perAddress: 4, now });
  assert.equal(await tryLogin(limiter, 'u1', '10.0.1.1', 'succeed'), 0);
  assert.equal(await tryLogin(limiter, 'u1', '10.0.1.1', 'succeed'), 0);
  for (const who of ['a', 'b', 'c']) assert.equal(await tryLogin(limiter, who, '10.0.1.1'), 0);
  assert.equal(await tryLogin(limiter, 'd', '10.0.1.1'), 0, 'the fourth counted attempt');
  assert.equal(await tryLogin(limiter, 'e', '10.0.1.1'), 1, 'the address is slowed for every identity');
  assert.equal(await tryLogin(limiter, 'e', '10.0.1.2'), 0, 'another address is not');
  clock += 16 * 60_000;
});

test('the attempt is reserved before the check: of a concurrent wave only the allowance gets through', async () => {
  const limiter = createLoginLimiter(store.loginThrottle, { perPair: 5, perAddress: 1000, now });
  const results = await Promise.all(Array.from({ length: 60 }, () => limiter.reserve('victim', '10.0.2.1').then(() => 'counted', (err: RegistryError) => String(err.status))));
  assert.equal(results.filter((r) => r === 'counted').length, 5);
  assert.equal(results.filter((r) => r === '429').length, 55);
  clock += 16 * 60_000;
});

test('two nodes on one database share the counts', async () => {
  const nodeA = createLoginLimiter(store.loginThrottle, { perPair: 2, now });
  const nodeB = createLoginLimiter(store.loginThrottle, { perPair: 2, now });
  assert.equal(await tryLogin(nodeA, 'shared', '10.0.3.1'), 0);
  assert.equal(await tryLogin(nodeB, 'shared', '10.0.3.1'), 0);
  assert.equal(await tryLogin(nodeA, 'shared', '10.0.3.1'), 1);
  assert.equal(await tryLogin(nodeB, 'shared', '10.0.3.1'), 1);
  clock += 16 * 60_000;
});

test('a slowed key is refused from memory until the re-check, then the row decides again', async () => {
  const nodeA = createLoginLimiter(store.loginThrottle, { perPair: 2, perAddress: 1000, maxDelaySeconds: 60, recheckMs: 500, now });
  assert.equal(await tryLogin(nodeA, 'memo', '10.0.5.1'), 0);
  assert.equal(await tryLogin(nodeA, 'memo', '10.0.5.1'), 0);
  assert.equal(await tryLogin(nodeA, 'memo', '10.0.5.1'), 1, 'slowed: remembered by node A');
  // The pair's row goes as another node's success (or the pruner) would remove it.
  const key = await pairRowKey('memo', '10.0.5.1');
  assert.ok((await store.loginThrottle.get(key))?.blockedUntil, 'the row says slowed');
  await store.loginThrottle.delete(key);
  clock += 200;
  assert.ok((await tryLogin(nodeA, 'memo', '10.0.5.1')) > 0, 'node A still refuses from memory, without reading the row');
  clock += 300;
  assert.equal(await tryLogin(nodeA, 'memo', '10.0.5.1'), 0, 'past the re-check node A reads the row again and counts');
  // The memory never refuses longer than the row said: a 1 s delay ends after 1 s even with a long re-check.
  const patient = createLoginLimiter(store.loginThrottle, { perPair: 1, perAddress: 1000, recheckMs: 60_000, now });
  assert.equal(await tryLogin(patient, 'memo2', '10.0.5.2'), 0);
  assert.equal(await tryLogin(patient, 'memo2', '10.0.5.2'), 1);
  clock += 1000;
  assert.equal(await tryLogin(patient, 'memo2', '10.0.5.2'), 0, 'the delay is over on time');
  clock += 16 * 60_000;
});

/** The throttle's row key of a pair, as brute-force.ts derives it. */
async function pairRowKey(identity: string, address: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return `pair:${address}|${createHash('sha256').update(identity).digest('base64url')}`;
}

test('in flight: excess checks per identity and per address are refused at once; slots come back', () => {
  const limiter = createLoginLimiter(store.loginThrottle, { inFlightPerIdentity: 2, inFlightPerAddress: 3, now });
  const a = limiter.enter('x', '10.0.4.1');
  const b = limiter.enter('x', '10.0.4.2');
  assert.throws(() => limiter.enter('x', '10.0.4.3'), (err: RegistryError) => err.status === 429 && err.headers['Retry-After'] === '1');
  const c = limiter.enter('y', '10.0.4.1');
  const d = limiter.enter('z', '10.0.4.1');
  assert.throws(() => limiter.enter('w', '10.0.4.1'), (err: RegistryError) => err.status === 429);
  assert.doesNotThrow(() => limiter.enter('w', '10.0.4.9')(), 'other addresses and identities are free');
  a();
  a();
  assert.doesNotThrow(() => limiter.enter('x', '10.0.4.1'), 'released slots are reusable; releasing twice is harmless');
  for (const release of [b, c, d]) release();
});
