/**
 * Upload sessions are bounded per principal and per repository (over: 429 TOOMANYREQUESTS with
 * Retry-After, and no session, row or temp file is made), and sessions that never received a
 * byte are removed sooner than ones with data. One AcrPush user used to open 1,500 sessions
 * in a second, each a temp file and a row kept for 24 h.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';
import { createUploadJanitor } from '../src/distribution/upload-janitor.ts';

let server: TestServer;

async function open(user: string, repository: string) {
  const res = await request(`${server.url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: { authorization: basicAuth(user, `${user}-password`) } });
  const text = await res.body.text();
  return { status: res.statusCode, location: res.headers.location as string | undefined, retryAfter: res.headers['retry-after'], body: text ? JSON.parse(text) : undefined };
}

async function openSessions(): Promise<number> {
  return (await server.services.store.uploads.listStale(new Date(Date.now() + 3_600_000))).length;
}

describe('upload session limits', () => {
  before(async () => {
    server = await startTokenServer({ 'uploads.maxPerPrincipal': 3, 'uploads.maxPerRepository': 4, 'uploads.untouchedStaleAfterSeconds': 60 });
    await createUser(server, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
    await createUser(server, 'other', 'other-password', [{ role: 'AcrPush' }]);
  });
  after(() => server.close());

  test('per principal, then per repository: 429 TOOMANYREQUESTS with Retry-After, nothing opened', async () => {
    const mine = [];
    for (let i = 0; i < 3; i++) {
      const r = await open('pusher', 'limits/a');
      assert.equal(r.status, 202);
      mine.push(r.location!);
    }
    const over = await open('pusher', 'limits/b');
    assert.equal(over.status, 429);
    assert.equal(over.body.errors[0].code, 'TOOMANYREQUESTS');
    assert.ok(Number(over.retryAfter) >= 1);
    assert.match(over.body.errors[0].message, /3 open upload sessions/);
    assert.equal(await openSessions(), 3, 'the refused POST opened nothing');

    assert.equal((await open('other', 'limits/a')).status, 202, 'another principal may open in the same repository');
    const full = await open('other', 'limits/a');
    assert.equal(full.status, 429, 'the repository holds its maximum (4)');
    assert.match(full.body.errors[0].message, /repository limits\/a/);
    assert.equal((await open('other', 'limits/b')).status, 202, 'another repository is not full');

    // Cancelling a session frees its slot.
    const cancel = await request(server.url + mine[0]!, { method: 'DELETE', headers: { authorization: basicAuth('pusher', 'pusher-password') } });
    await cancel.body.text();
    assert.equal(cancel.statusCode, 204);
    assert.equal((await open('pusher', 'limits/c')).status, 202);
  });

  test('sessions that never received a byte expire sooner than ones with data', async () => {
    const { store, blobs } = server.services;
    for (const s of await store.uploads.listStale(new Date(Date.now() + 3_600_000))) {
      await blobs.uploads.abort(s.id);
      await store.uploads.delete(s.id);
    }
    const empty = await open('pusher', 'expiry/app');
    const written = await open('pusher', 'expiry/app');
    const patch = await request(server.url + written.location!, { method: 'PATCH', headers: { authorization: basicAuth('pusher', 'pusher-password'), 'content-type': 'application/octet-stream' }, body: 'some bytes' });
    await patch.body.text();
    assert.equal(patch.statusCode, 202);
    const janitor = createUploadJanitor({ store, blobs, staleAfterSeconds: 24 * 3600, untouchedStaleAfterSeconds: 60, logger: server.services.logger });
    // Two minutes on: past the untouched limit (60 s), far from the stale one (24 h).
    assert.equal(await janitor.sweep(new Date(Date.now() + 120_000)), 1);
    const left = (await store.uploads.listStale(new Date(Date.now() + 3_600_000))).map((s) => s.id);
    assert.deepEqual(left, [written.location!.split('/').pop()]);
    assert.equal(await blobs.uploads.size(empty.location!.split('/').pop()!), undefined, 'its temp data is gone too');
  });
});
