/**
 * Two registry nodes on one PostgreSQL database: they share the signing keys (a token one
 * node issues verifies on the other; a rotation on one reaches the other), the first start
 * creates exactly one admin, and identities created through one node log in on the other.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { TEST_DATABASE_URL, skipUnless, postgresReachable, dropTestSchema } from './helpers/environment.ts';
import { ADMIN_PASSWORD, accessToken, adminAuth, startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';


const schema = `auth_cluster_${randomBytes(4).toString('hex')}`;
const databaseUrl = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;

describe('identity across two nodes sharing PostgreSQL', { skip: skipUnless(await postgresReachable(), 'PostgreSQL is not reachable') }, () => {
  let a: TestServer;
  let b: TestServer;
  // Both nodes answer as one registry: one service name, as behind a load balancer.
  const overrides = { databaseUrl, service: 'registry.test' };

  before(async () => {
    [a, b] = await Promise.all([startTokenServer(overrides), startTokenServer(overrides)]);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await dropTestSchema(schema);
  });

  test('one admin, whichever node started first', async () => {
    assert.equal(await a.services.store.users.count(), 1);
    assert.equal((await a.services.store.roleAssignments.list()).length, 1);
  });

  test('a token from node A is accepted by node B; a user created on B logs in on A', async () => {
    const token = await accessToken(a, 'admin', ADMIN_PASSWORD, 'registry:catalog:*');
    const res = await fetch(`${b.url}/v2/_catalog`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const created = await fetch(`${b.url}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: adminAuth(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'carol', password: 'carol-password', roles: [{ role: 'AcrPull' }] }),
    });
    assert.equal(created.status, 201);
    await accessToken(a, 'carol', 'carol-password', 'repository:x:pull');
  });

  test('a rotation on node A: B verifies A\'s new tokens at once, and old tokens keep working on both', async () => {
    const old = await accessToken(b, 'admin', ADMIN_PASSWORD, 'registry:catalog:*');
    const kid = await a.services.identity.keys.rotate();
    const fresh = await accessToken(a, 'admin', ADMIN_PASSWORD, 'registry:catalog:*');
    assert.equal(decodeProtectedHeader(fresh).kid, kid);
    for (const node of [a, b]) {
      for (const t of [old, fresh]) {
        const res = await fetch(`${node.url}/v2/_catalog`, { headers: { authorization: `Bearer ${t}` } });
        assert.equal(res.status, 200);
      }
    }
  });
});
