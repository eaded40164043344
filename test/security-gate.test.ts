/**
 * Security review, the gate and access rules beyond the leak matrix: what refusals carry in
 * their headers, Range reads, index/child judging, paging cursors (Link headers, the queue's
 * `next`), mounts, upload sessions of other repositories, anonymous access with anonymous pull
 * off, the portal's static files. Real server in token mode, real HTTP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, pushIndex, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { startReceiver, RECEIVER_CONFIG } from './helpers/webhook-receiver.ts';

const PASSWORD = 'gate-security-password-1';

describe('security: the gate and access rules', () => {
  let s: TestServer;
  let u: string;
  const admin = { authorization: adminAuth() };
  const puller = { authorization: basicAuth('puller', PASSWORD) };
  const img = {} as Record<'held' | 'passed' | 'child-held' | 'child-passed' | 'a' | 'b' | 'c', PushedImage>;
  let releasedIndex: string;
  let heldIndex: string;

  before(async () => {
    s = await startTokenServer({ ...RECEIVER_CONFIG });
    u = s.url;
    const store = s.services.store;
    await createUser(s, 'puller', PASSWORD, [{ role: 'AcrPull' }]);
    await createUser(s, 'teamreader', PASSWORD, [{ role: 'AcrPull' }, { role: 'AcrQuarantineReader', repository: 'team-a/*' }]);
    img.held = await pushImage(u, 'gate', { seed: 'gate-held', tag: 'held', headers: admin });
    img.passed = await pushImage(u, 'gate', { seed: 'gate-passed', tag: 'passed', headers: admin });
    img['child-held'] = await pushImage(u, 'multi', { seed: 'child-held', headers: admin });
    img['child-passed'] = await pushImage(u, 'multi', { seed: 'child-passed', architecture: 'arm64', headers: admin });
    const kids = [img['child-held'], img['child-passed']].map((c, i) => ({ digest: c.digest, size: c.size, architecture: i ? 'arm64' : 'amd64', os: 'linux' }));
    releasedIndex = await pushIndex(u, 'multi', kids, 'released', admin);
    heldIndex = await pushIndex(u, 'multi', [kids[1]!], 'heldindex', admin);
    // Tags in lexical order a < b < c: a and c released, b held (paging must skip b silently).
    for (const t of ['a', 'b', 'c'] as const) img[t] = await pushImage(u, 'paged', { seed: `paged-${t}`, tag: t, headers: admin });
    for (const t of ['a', 'b', 'c'] as const) await pushImage(u, 'team-a/app', { seed: `team-a-${t}`, tag: t, headers: admin });
    await pushImage(u, 'team-b/app', { seed: 'team-b', tag: 'v1', headers: admin });

    const v = (repository: string, digest: string, state: 'Quarantined' | 'Passed') => store.verdicts.set({ repository, digest: digest as never, state, updatedBy: 'security-setup' });
    await v('gate', img.held.digest, 'Quarantined');
    await v('gate', img.passed.digest, 'Passed');
    await v('multi', img['child-held'].digest, 'Quarantined');
    await v('multi', img['child-passed'].digest, 'Passed');
    await v('multi', releasedIndex, 'Passed');
    await v('multi', heldIndex, 'Quarantined');
    for (const t of ['a', 'c'] as const) await v('paged', img[t].digest, 'Passed');
    await v('paged', img.b.digest, 'Quarantined');
    const on = await call(u, 'PATCH', '/api/v1/policies', { headers: admin, body: { quarantinePolicy: { status: 'enabled' } } });
    assert.equal(on.status, 200);
  });
  after(() => s.close());

  test('refusals carry neither the held manifest\'s digest nor its size (GET and HEAD, by tag and digest)', async () => {
    for (const method of ['GET', 'HEAD']) {
      for (const ref of ['held', img.held.digest]) {
        const r = await call(u, method, `/v2/gate/manifests/${ref}`, { headers: puller });
        assert.ok(r.status === 403 || r.status === 404, `${method} ${ref}: ${r.status}`);
        assert.equal(r.headers['docker-content-digest'], undefined, `${method} ${ref} Docker-Content-Digest`);
        assert.equal(r.headers.etag, undefined, `${method} ${ref} ETag`);
        if (ref === 'held') assert.ok(!JSON.stringify(r.headers).includes(img.held.digest.slice(7)), 'by tag: the digest appears nowhere');
        if (method === 'HEAD') assert.notEqual(Number(r.headers['content-length']), img.held.size, `${method} ${ref} Content-Length`);
      }
      const blob = await call(u, method, `/v2/gate/blobs/${img.held.layers[0]}`, { headers: { ...puller, range: 'bytes=0-3' } });
      assert.equal(blob.status, 403, `${method} held blob with Range`);
      assert.equal(blob.headers['content-range'], undefined);
      assert.equal(blob.headers['docker-content-digest'], undefined);
    }
  });

  test('each manifest of an index is judged alone: a released index does not release a held child, a held index does not hide a released child', async () => {
    const get = (path: string) => call(u, 'GET', path, { headers: puller });
    assert.equal((await get('/v2/multi/manifests/released')).status, 200);
    assert.equal((await get(`/v2/multi/manifests/${img['child-held'].digest}`)).status, 403);
    assert.equal((await get(`/v2/multi/blobs/${img['child-held'].layers[0]}`)).status, 403, 'a blob only a held child references');
    assert.equal((await get(`/v2/multi/blobs/${img['child-held'].config}`)).status, 403);
    assert.equal((await get(`/v2/multi/manifests/${img['child-passed'].digest}`)).status, 200);
    assert.equal((await get('/v2/multi/manifests/heldindex')).status, 404);
    assert.equal((await get(`/v2/multi/manifests/${heldIndex}`)).status, 403);
    assert.equal((await get(`/v2/multi/blobs/${img['child-passed'].layers[0]}`)).status, 200);
    const attrs = await get(`/acr/v1/multi/_manifests/${img['child-held'].digest}`);
    assert.equal(attrs.status, 403);
  });

  test('tags and catalog paging never name a held tag or a held-only repository in a Link header', async () => {
    const seen: string[] = [];
    let path: string | undefined = '/v2/paged/tags/list?n=1';
    while (path) {
      const r = await call(u, 'GET', path, { headers: puller });
      assert.equal(r.status, 200);
      seen.push(...r.body.tags);
      const link = r.headers.link as string | undefined;
      assert.ok(!link || !/last=b\b/.test(link), `Link names the held tag: ${link}`);
      path = link ? /<([^>]+)>/.exec(link)![1] : undefined;
    }
    assert.deepEqual(seen, ['a', 'c']);
    // The catalog, one name per page: held-only repositories (multi has released content;
    // onlyheld, audited and team-* have none for a puller) are never a page or a Link cursor.
    const names: string[] = [];
    for (let next: string | undefined = '/v2/_catalog?n=1'; next; ) {
      const r = await call(u, 'GET', next, { headers: puller });
      assert.equal(r.status, 200);
      names.push(...r.body.repositories);
      const link = r.headers.link as string | undefined;
      next = link ? /<([^>]+)>/.exec(link)![1] : undefined;
      if (next) assert.ok(names.includes(decodeURIComponent(/last=([^&]+)/.exec(next)![1]!)), `Link names a repository not listed: ${next}`);
    }
    assert.ok(!names.some((n) => n.startsWith('team-')), names.join());
    const acr = await call(u, 'GET', '/acr/v1/paged/_tags?n=1', { headers: puller });
    assert.ok(!String(acr.headers.link).includes('last=b&'), String(acr.headers.link));
    const held = await call(u, 'GET', `/acr/v1/paged/_tags?digest=${img.b.digest}`, { headers: puller });
    assert.deepEqual(held.body.tags, []);
  });

  test('a repository holding only held content is unknown to the /v2 tags list, as to the catalog and /acr/v1', async () => {
    await pushImage(u, 'onlyheld', { seed: 'onlyheld', tag: 'v1', headers: admin });
    const r = await call(u, 'GET', '/v2/onlyheld/tags/list', { headers: puller });
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.equal(r.body.errors[0].code, 'NAME_UNKNOWN');
    assert.equal((await call(u, 'GET', '/v2/onlyheld/tags/list', { headers: admin })).status, 404, 'an owner without quarantine read too');
    const past = await call(u, 'GET', '/v2/paged/tags/list?last=zzz', { headers: puller });
    assert.deepEqual([past.status, past.body.tags], [200, []], 'an empty page of a visible repository is still 200');
  });

  test('the quarantine queue: rows and the paging cursor are limited to what the caller may read held', async () => {
    for (const who of [puller, { authorization: basicAuth('teamreader', PASSWORD) }]) {
      let path: string | undefined = '/api/v1/quarantine/queue?n=1';
      const repos = new Set<string>();
      let count = 0;
      for (let pages = 0; path && pages < 50; pages++) {
        const r = await call(u, 'GET', path, { headers: who });
        assert.equal(r.status, 200);
        for (const m of r.body.manifests) repos.add(m.repository);
        count += r.body.manifests.length;
        if (r.body.next) {
          const cursor = Buffer.from(r.body.next, 'base64url').toString('utf8');
          for (const secret of [img.held.digest, img['child-held'].digest, heldIndex, img.b.digest, 'team-b']) {
            assert.ok(!r.text.includes(secret) && !cursor.includes(secret), `the queue's next cursor reveals ${secret}: ${cursor}`);
          }
        }
        path = r.body.next ? `/api/v1/quarantine/queue?n=1&last=${encodeURIComponent(r.body.next)}` : undefined;
      }
      assert.ok([...repos].every((n) => n.startsWith('team-a/')), [...repos].join());
      if (who !== puller) assert.deepEqual([...repos], ['team-a/app'], 'the team reader still pages through its own held rows');
      assert.equal(count, who === puller ? 0 : 3, 'every readable held row, one per page');
    }
    assert.equal((await call(u, 'GET', '/api/v1/quarantine/preflight', { headers: puller })).status, 403);
    assert.equal((await call(u, 'GET', '/api/v1/audit', { headers: puller })).status, 403);
    assert.equal((await call(u, 'GET', '/api/v1/webhooks', { headers: puller })).status, 403);
  });

  test('the audit log shows verdict changes only to callers who may read held content there (or configure)', async () => {
    await createUser(s, 'auditor', PASSWORD, [{ role: 'Reader' }]);
    await createUser(s, 'auditor-qr', PASSWORD, [{ role: 'Reader' }, { role: 'AcrQuarantineReader', repository: 'audited' }]);
    const pushed = await pushImage(u, 'audited', { seed: 'audited-held', tag: 'new', headers: admin });
    const target = `audited@${pushed.digest}`;
    const targets = async (user: string) => {
      const r = await call(u, 'GET', '/api/v1/audit?action=verdict.change', { headers: { authorization: basicAuth(user, PASSWORD) } });
      assert.equal(r.status, 200);
      return (r.body.entries as { target: string }[]).map((e) => e.target);
    };
    assert.ok((await call(u, 'GET', '/api/v1/audit?action=verdict.change', { headers: admin })).text.includes(target), 'an admin sees it');
    assert.ok((await targets('auditor-qr')).includes(target), 'a quarantine reader of the repository sees it');
    assert.deepEqual((await targets('auditor')).filter((t) => t.startsWith('audited@')), [], 'a Reader without quarantine read does not');
  });

  test('a repository delete by an owner without quarantine read does not echo held digests or tags', async () => {
    const held = await pushImage(u, 'doomed', { seed: 'doomed-held', tag: 'held', headers: admin });
    await s.services.store.verdicts.set({ repository: 'doomed', digest: held.digest as never, state: 'Passed', updatedBy: 'x' });
    await s.services.store.verdicts.set({ repository: 'doomed', digest: held.digest as never, state: 'Quarantined', updatedBy: 'x' });
    const passed = await pushImage(u, 'doomed', { seed: 'doomed-passed', tag: 'passed', headers: admin });
    await s.services.store.verdicts.set({ repository: 'doomed', digest: passed.digest as never, state: 'Passed', updatedBy: 'x' });
    const r = await call(u, 'DELETE', '/acr/v1/doomed', { headers: admin });
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, { manifestsDeleted: [passed.digest], tagsDeleted: ['passed'] });
    assert.equal(await s.services.store.repositories.get('doomed'), undefined, 'everything was deleted all the same');
  });

  test('webhooks: the secret and custom header values never come back from GET, list or the delivery log; only configure manages them', async () => {
    const receiver = await startReceiver();
    try {
      const body = { properties: { serviceUri: `${receiver.url}/hook`, actions: ['push'], customHeaders: { Authorization: 'Bearer header-secret-value' }, secret: 'signing-secret-value-123' } };
      assert.equal((await call(u, 'PUT', '/api/v1/webhooks/sechook', { headers: puller, body })).status, 403);
      assert.equal((await call(u, 'PUT', '/api/v1/webhooks/sechook', { headers: admin, body })).status, 201);
      const id = (await call(u, 'POST', '/api/v1/webhooks/sechook/ping', { headers: admin })).body.id;
      await receiver.waitFor((r) => r.length > 0, 10_000, 'the ping');
      let events = '';
      for (let i = 0; i < 50 && !events.includes('"statusCode"'); i++) {
        events = (await call(u, 'GET', '/api/v1/webhooks/sechook/events', { headers: admin })).text;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(events.includes(id), 'the delivery is logged');
      for (const path of ['/api/v1/webhooks/sechook', '/api/v1/webhooks', '/api/v1/webhooks/sechook/events', `/api/v1/webhooks/sechook/events/${id}`]) {
        const r = await call(u, 'GET', path, { headers: admin });
        assert.equal(r.status, 200, path);
        assert.ok(!r.text.includes('header-secret-value') && !r.text.includes('signing-secret-value-123'), `${path} returned a secret`);
      }
      for (const path of ['/api/v1/webhooks/sechook', '/api/v1/webhooks/sechook/events']) assert.equal((await call(u, 'GET', path, { headers: puller })).status, 403, path);
      assert.equal((await call(u, 'POST', '/api/v1/webhooks/sechook/getCallbackConfig', { headers: puller })).status, 403);
    } finally {
      await receiver.close();
    }
  });

  test('mounts answer the same (202) for a held blob, a blob of a repository the caller cannot pull, and a missing blob', async () => {
    await createUser(s, 'mounter', PASSWORD, [{ role: 'AcrPush', repository: 'mine' }, { role: 'AcrPull', repository: 'gate' }]);
    const h = { authorization: basicAuth('mounter', PASSWORD) };
    const answers: Record<string, number> = {};
    for (const [what, q] of Object.entries({
      held: `mount=${img.held.layers[0]}&from=gate`,
      unreadable: `mount=${img['child-passed'].layers[0]}&from=multi`,
      missing: `mount=sha256:${'0'.repeat(64)}&from=gate`,
      released: `mount=${img.passed.layers[0]}&from=gate`,
    })) {
      answers[what] = (await call(u, 'POST', `/v2/mine/blobs/uploads/?${q}`, { headers: h })).status;
    }
    assert.deepEqual(answers, { held: 202, unreadable: 202, missing: 202, released: 201 });
    assert.equal((await call(u, 'GET', `/v2/mine/blobs/${img.held.layers[0]}`, { headers: h })).status, 404, 'nothing linked by the refused mount');
  });

  test('an upload session is bound to its repository', async () => {
    const start = await call(u, 'POST', '/v2/gate/blobs/uploads/', { headers: admin });
    const id = start.headers['docker-upload-uuid'] as string;
    assert.equal(start.status, 202);
    await createUser(s, 'otherpusher', PASSWORD, [{ role: 'AcrPush', repository: 'elsewhere' }]);
    const h = { authorization: basicAuth('otherpusher', PASSWORD) };
    assert.equal((await call(u, 'GET', `/v2/elsewhere/blobs/uploads/${id}`, { headers: h })).status, 404);
    assert.equal((await call(u, 'PUT', `/v2/elsewhere/blobs/uploads/${id}?digest=sha256:${'1'.repeat(64)}`, { headers: h })).status, 404);
    assert.equal((await call(u, 'GET', `/v2/gate/blobs/uploads/${id}`, { headers: h })).status, 403);
    assert.equal((await call(u, 'GET', `/v2/elsewhere/blobs/uploads/..%2F..%2Fetc`, { headers: h })).status, 404);
  });

  test('anonymous pull off: every non-public route answers 401; public routes answer', async () => {
    for (const [method, path] of [
      ['GET', '/v2/'], ['GET', '/v2/_catalog'], ['GET', '/v2/gate/tags/list'], ['GET', '/v2/gate/manifests/passed'], ['HEAD', '/v2/gate/manifests/passed'],
      ['GET', `/v2/gate/blobs/${img.passed.layers[0]}`], ['GET', `/v2/gate/referrers/${img.passed.digest}`], ['POST', '/v2/gate/blobs/uploads/'],
      ['GET', '/acr/v1/_catalog'], ['GET', '/acr/v1/gate'], ['GET', '/acr/v1/gate/_tags'], ['GET', `/acr/v1/gate/_manifests/${img.passed.digest}`],
      ['GET', '/api/v1/quarantine/queue'], ['GET', '/api/v1/whoami'], ['GET', '/api/v1/roles'], ['GET', '/api/v1/anonymous-pull'], ['GET', '/api/v1/policies'], ['GET', '/api/v1/audit'], ['GET', '/api/v1/webhooks'],
    ]) {
      const r = await call(u, method!, path!);
      assert.equal(r.status, 401, `${method} ${path}`);
    }
    for (const path of ['/healthz', '/api/v1/openapi.json', '/oauth2/jwks', '/portal/']) assert.equal((await call(u, 'GET', path)).status, 200, path);
  });

  test('the portal serves nothing outside portal/dist', async () => {
    for (const path of ['/portal/..%2F..%2Fpackage.json', '/portal/%2e%2e/%2e%2e/package.json', '/portal/assets/..%2F..%2F..%2Fpackage.json', '/portal/index.html%00.js', '/portal/%2e%2e%2f%2e%2e%2fsrc%2fapp.ts']) {
      const r = await call(u, 'GET', path);
      assert.ok(!r.text.includes('"devDependencies"') && !r.text.includes('createApp'), `${path} leaked a file (${r.status})`);
    }
  });
});
