/**
 * `trustProxy`: behind a load balancer every connection comes from the balancer, so the login
 * throttle must count the client named by X-Forwarded-For — but only when the connection comes
 * from a configured proxy, or anyone could rotate the header to dodge the throttle. Real HTTP
 * from distinct loopback source addresses (127.0.0.0/8 is all local on Linux).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, buildConnector, request } from 'undici';
import { basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';

const PROXY = '127.0.0.7';
let server: TestServer;
const agents: Agent[] = [];

function from(address: string): Agent {
  const connect = buildConnector({});
  const agent = new Agent({ connect: (options, callback) => connect({ ...options, localAddress: address } as typeof options, callback) });
  agents.push(agent);
  return agent;
}

async function login(agent: Agent, password: string, forwardedFor?: string) {
  const res = await request(`${server.url}/oauth2/token?service=${new URL(server.url).host}&scope=repository:x:pull`, {
    dispatcher: agent,
    headers: { authorization: basicAuth('carol', password), ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
  });
  await res.body.text();
  return res.statusCode;
}

describe('trustProxy', () => {
  before(async () => {
    server = await startTokenServer({ trustProxy: [PROXY] });
    await createUser(server, 'carol', 'carol-password', [{ role: 'AcrPull' }]);
  });
  after(async () => {
    for (const a of agents) await a.close();
    await server.close();
  });

  test('through the trusted proxy, a guesser slows only its own client address', async () => {
    const proxy = from(PROXY);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push(await login(proxy, `guess-${i}`, '203.0.113.5'));
    assert.equal(statuses.at(-1), 429, `the guessing client is slowed: ${statuses.join(',')}`);
    assert.equal(await login(proxy, 'carol-password', '203.0.113.5'), 429, 'even its right password waits');
    assert.equal(await login(proxy, 'carol-password', '198.51.100.9'), 200, 'another client behind the same proxy is not');
  });

  test('from an untrusted address X-Forwarded-For is ignored: rotating it does not dodge the throttle', async () => {
    const direct = from('127.0.0.8');
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push(await login(direct, `guess-${i}`, `192.0.2.${i + 1}`));
    assert.equal(statuses.at(-1), 429, `the connection's address is what counts: ${statuses.join(',')}`);
  });

  test('a bad trustProxy entry is a configuration error naming the field', async () => {
    await assert.rejects(startTokenServer({ trustProxy: ['not-an-address'] }), /trustProxy/);
  });
});
