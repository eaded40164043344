/**
 * Login throttling over real HTTP, from real distinct source addresses (127.0.0.x):
 * - a concurrent wave of guesses for one user from one address: only the allowance is
 *   checked, the rest (the right password included) are 429 with Retry-After;
 * - the guessed user still logs in at once from another address (no lockout as a weapon);
 * - a flood of bad logins from one address is refused at once past its in-flight bound, and
 *   a good login from elsewhere is answered;
 * - every name costs one scrypt per check: user, repository-scoped token and unknown name.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, buildConnector, request } from 'undici';
import { scryptRuns } from '../src/auth/passwords.ts';
import { adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';

let server: TestServer;
const agents = new Map<string, Agent>();

/** An HTTP client whose connections come from `address` (any 127.0.0.0/8 address works on Linux). */
function from(address: string): Agent {
  let a = agents.get(address);
  // The connector function: undici drops `localAddress` given as a plain connect option.
  const connect = buildConnector({});
  if (!a) agents.set(address, (a = new Agent({ connect: (options, callback) => connect({ ...options, localAddress: address } as typeof options, callback), connections: 256 })));
  return a;
}

async function login(address: string, user: string, password: string) {
  const res = await request(`${server.url}/oauth2/token?service=${new URL(server.url).host}&scope=repository:x:pull`, {
    dispatcher: from(address),
    headers: { authorization: basicAuth(user, password) },
  });
  await res.body.text();
  return { status: res.statusCode, retryAfter: res.headers['retry-after'] };
}

describe('login throttling', () => {
  before(async () => {
    server = await startTokenServer();
    await createUser(server, 'victim', 'victim-password', [{ role: 'AcrPull' }]);
    await createUser(server, 'bystander', 'bystander-password', [{ role: 'AcrPull' }]);
  });
  after(async () => {
    for (const a of agents.values()) await a.close();
    await server.close();
  });

  test('a concurrent wave of guesses: only the allowance is checked, the rest are 429 (the right password too)', async () => {
    const wave = [...Array.from({ length: 60 }, (_, i) => login('127.0.0.2', 'victim', `guess-${i}`)), login('127.0.0.2', 'victim', 'victim-password')];
    const results = await Promise.all(wave);
    const refused = results.filter((r) => r.status === 429);
    // Before the fix all 60 guesses were checked (401) and the right password got 200. Now the
    // allowance (5) is checked and the rest refused; a slow machine may see the first 1 s delay
    // end during the wave and let one or two more through.
    assert.ok(refused.length >= 50, `most of the wave is refused, got ${results.map((r) => r.status).join(',')}`);
    assert.ok(refused.every((r) => Number(r.retryAfter) >= 1), 'every refusal says when to retry');
    assert.equal((await login('127.0.0.2', 'victim', 'victim-password')).status, 429, 'still slowed on that address');
  });

  test('the guessed user logs in at once from another address', async () => {
    assert.equal((await login('127.0.0.3', 'victim', 'victim-password')).status, 200);
  });

  test('a flood of bad logins from one address is refused at once past its bound; a good login from elsewhere is answered', async () => {
    const flood = Array.from({ length: 240 }, (_, i) => login('127.0.0.4', `flood-${i % 40}`, `bad-${i}`));
    const good = login('127.0.0.5', 'bystander', 'bystander-password');
    const [results, mine] = await Promise.all([Promise.all(flood), good]);
    assert.equal(mine.status, 200);
    // Before the fix every one of them queued for scrypt (and the good login waited behind
    // them). Now the address gets its allowance (30; the first 1 s delay may end during the
    // flood on a slow machine) and at most 8 checks in flight; the rest are refused at once.
    const checked = results.filter((r) => r.status === 401).length;
    assert.ok(checked <= 40, `the address got about its allowance of checks (30), got ${checked}`);
    assert.equal(results.filter((r) => r.status === 429).length, 240 - checked);
  });

  test("a scan job's expired credentials are not counted as guesses against their address", async () => {
    // The built-in scanner pulls from 127.0.0.1, like an admin on the same host. A scan that
    // someone else's verdict cancelled leaves its scanner pulling with a dead credential; had
    // those failures counted, 30 of them would slow every login from that address.
    const stale = Array.from({ length: 40 }, (_, i) => login('127.0.0.6', `scan~${crypto.randomUUID()}`, `dead-secret-${i}`));
    const statuses = (await Promise.all(stale)).map((r) => r.status);
    assert.ok(statuses.every((s) => s === 401 || s === 429), statuses.join(','));
    assert.ok(statuses.filter((s) => s === 401).length >= 8, `most were checked and refused as wrong: ${statuses.join(',')}`);
    for (let i = 0; i < 40; i++) assert.equal((await login('127.0.0.6', `scan~${crypto.randomUUID()}`, 'dead')).status, 401, 'one at a time, none is throttled');
    assert.equal((await login('127.0.0.6', 'bystander', 'bystander-password')).status, 200, 'a user on that address is not slowed');
  });

  test('one scrypt per check for a user, a repository-scoped token and an unknown name', async () => {
    const t = await fetch(`${server.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: adminAuth(), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ci-token', scopeMap: '_repositories_pull' }) });
    assert.equal(t.status, 201, await t.clone().text());
    const cost = async (user: string, password: string, address: string) => {
      const before = scryptRuns();
      const r = await login(address, user, password);
      assert.equal(r.status, 401, `${user}: ${r.status}`);
      return scryptRuns() - before;
    };
    assert.equal(await cost('bystander', 'wrong-password', '127.0.0.6'), 1, 'a user');
    assert.equal(await cost('ci-token', 'wrong-password', '127.0.0.7'), 1, 'a repository-scoped token');
    assert.equal(await cost('no-such-name', 'wrong-password', '127.0.0.8'), 1, 'an unknown name');
  });
});
