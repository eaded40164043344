/**
 * The JSON APIs take state-changing calls only with `Content-Type: application/json` (an
 * empty body included): the bodies a browser may send cross-site without a preflight
 * (text/plain, forms, none at all) are 415 before anything happens. The case that showed it:
 * `POST /api/v1/quarantine/grandfather` with text/plain and an empty body released an image.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { adminAuth, startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';
import { pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';

let server: TestServer;
let image: PushedImage;

async function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  const res = await request(server.url + path, { method: method as 'POST', headers: { authorization: adminAuth(), ...headers }, body });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

const verdictOf = async () => (await send('GET', `/acr/v1/${image.repository}/_manifests/${image.digest}`, {})).body.manifest.changeableAttributes.quarantineState;

describe('state-changing JSON API calls need application/json', () => {
  before(async () => {
    server = await startTokenServer();
    image = await pushImage(server.url, 'json/app', { seed: 'json-bodies', tag: '1', headers: { authorization: adminAuth() } });
  });
  after(() => server.close());

  test('cross-site-able bodies are 415 UNSUPPORTED and change nothing', async () => {
    const cases: [string, string, Record<string, string>, string | undefined][] = [
      ['POST', '/api/v1/quarantine/grandfather', { 'content-type': 'text/plain' }, ''],
      ['POST', '/api/v1/quarantine/grandfather', {}, undefined],
      ['POST', '/api/v1/quarantine/grandfather', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=b'],
      ['POST', '/api/v1/quarantine/grandfather', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
      ['POST', '/api/v1/users', { 'content-type': 'text/plain' }, '{"name":"csrf-user"}'],
      ['PATCH', '/api/v1/policies', { 'content-type': 'text/plain' }, '{"quarantinePolicy":{"status":"enabled"}}'],
      ['PATCH', `/acr/v1/${image.repository}/_manifests/${image.digest}`, { 'content-type': 'text/plain' }, '{"quarantineState":"Failed"}'],
      ['DELETE', `/acr/v1/${image.repository}/_tags/1`, { 'content-type': 'text/plain' }, 'x'],
    ];
    for (const [method, path, headers, body] of cases) {
      const res = await send(method, path, headers, body);
      assert.equal(res.status, 415, `${method} ${path} ${JSON.stringify(headers)}`);
      assert.equal(res.body.errors[0].code, 'UNSUPPORTED');
      assert.match(res.body.errors[0].message, /application\/json/);
    }
    assert.equal(await verdictOf(), undefined, 'no verdict was set');
    assert.equal((await send('GET', '/api/v1/users/csrf-user', {})).status, 404, 'no user was created');
    assert.equal((await send('GET', '/api/v1/policies', {})).body.quarantinePolicy.status, 'disabled');
    assert.equal((await send('GET', `/acr/v1/${image.repository}/_tags/1`, {})).status, 200, 'the tag is still there');
  });

  test('application/json works, an empty body included; a DELETE without a body needs no Content-Type', async () => {
    const res = await send('POST', '/api/v1/quarantine/grandfather', { 'content-type': 'application/json' }, '');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.passed, 1);
    assert.equal(await verdictOf(), 'Passed');
    assert.equal((await send('POST', '/api/v1/users', { 'content-type': 'application/json; charset=utf-8' }, '{"name":"json-user"}')).status, 201);
    assert.equal((await send('DELETE', '/api/v1/users/json-user', {})).status, 204);
  });
});
