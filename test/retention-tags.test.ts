/**
 * Tag retention on a real server, with a clock the test controls (the plan's `now`): keep the
 * last N tags by push time, keep tags matching patterns, delete tags older than D days unless
 * pulled in the last P days (pulls recorded by real GETs, written by the recorder's flush),
 * never a locked tag, never (nor count, nor list) a tag of a held image. A dry run changes
 * nothing (tags, audit, webhook events); a run deletes through the registry service with
 * `retention.delete` audit entries and `delete` events for the manifests; bad rules are 400
 * naming the field. The rules' suite runs on SQLite and on PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OCI, createRegistryClient, useRegistryServer } from './helpers/registry-client.ts';
import { startReceiver, RECEIVER_CONFIG, type Receiver } from './helpers/webhook-receiver.ts';
import { retentionDeps, runRetention } from '../src/lifecycle/retention/run.ts';
import { createPullTimeRecorder } from '../src/lifecycle/retention/pull-times.ts';
import { startTestServer } from './helpers/server.ts';
import { DATABASES, onDatabase } from './helpers/databases.ts';
import pino from 'pino';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });
const DAY = 86_400_000;
const CONFIG = { 'auth.mode': 'none', 'gc.intervalSeconds': 0, 'scanner.builtin': false, ...RECEIVER_CONFIG };
type Fixture = ReturnType<typeof useRegistryServer>;

async function push(fixture: Fixture, repository: string, tag: string) {
  const image = await fixture.client.pushImage(repository, tag, { layers: [randomBytes(32)] });
  // Push times are milliseconds: keep each push's time distinct, so the ranking is the push order.
  await sleep(5);
  return image;
}
const tagsOf = async (fixture: Fixture, repository: string) => ((await fixture.client.req('GET', `/v2/${repository}/tags/list`)).json().tags ?? []).sort();
const manifestExists = async (fixture: Fixture, repository: string, digest: string) =>
  (await fixture.client.req('HEAD', `/v2/${repository}/manifests/${digest}`, { headers: { accept: OCI.manifest } })).status === 200;
const auditTargets = async (fixture: Fixture) => ((await fixture.client.req('GET', '/api/v1/audit?action=retention.delete')).json().entries as { target: string }[]).map((e) => e.target).sort();
const setPolicy = async (fixture: Fixture, policy: unknown) => {
  const res = await fixture.client.req('PUT', '/api/v1/retention', json(policy));
  assert.equal(res.status, 200, res.text());
};

for (const database of DATABASES) {
  const db = onDatabase(database, 'rettags');
  describe(`tag retention (${database})`, { skip: db.skip }, () => {
    const fixture = useRegistryServer({ ...CONFIG, ...db.config });
    let receiver: Receiver;
    before(async () => {
      receiver = await startReceiver();
      const hook = await fixture.client.req('PUT', '/api/v1/webhooks/rethook', json({ location: 'here', properties: { serviceUri: receiver.url, actions: ['delete'], scope: 'rt/*:*' } }));
      assert.equal(hook.status, 201, hook.text());
    });
    after(() => receiver.close());
    after(db.drop);
    /** The webhook's delivery log (queued in the deleting transaction, so complete at once): `action digest`. */
    const queuedEvents = async () =>
      ((await fixture.client.req('GET', '/api/v1/webhooks/rethook/events?n=100')).json().value as { action: string; eventRequestMessage: { content: unknown } }[]).map((e) => {
        const content = typeof e.eventRequestMessage.content === 'string' ? JSON.parse(e.eventRequestMessage.content) : e.eventRequestMessage.content;
        return `${e.action} ${(content as { target: { digest: string } }).target.digest}`;
      });

    test('keep the last N by push time and tags matching patterns, never a locked one; a dry run changes nothing; a run deletes tags and the images they leave', async () => {
      const repo = 'rt/app';
      const release = await push(fixture, repo, 'release-1');
      const version = await push(fixture, repo, 'v1.0');
      const locked = await push(fixture, repo, 'locked');
      assert.equal((await fixture.client.req('PATCH', `/acr/v1/${repo}/_tags/locked`, json({ deleteEnabled: false }))).status, 200);
      const [t1, t2, t3] = [await push(fixture, repo, 't1'), await push(fixture, repo, 't2'), await push(fixture, repo, 't3')];
      // An alias of t1's image pushed last: t1 goes, the alias stays, so the image stays.
      await fixture.client.pushManifest(repo, 'alias', t1.manifestBytes, OCI.manifest);
      await sleep(5);
      const [t4, t5] = [await push(fixture, repo, 't4'), await push(fixture, repo, 't5')];
      await setPolicy(fixture, { untagged: [], tags: [{ repositories: 'rt/*', keepLast: 3, keepTags: ['v*', 'release-*'] }] });
      const allTags = ['alias', 'locked', 'release-1', 't1', 't2', 't3', 't4', 't5', 'v1.0'];
      assert.deepEqual(await tagsOf(fixture, repo), allTags);
      const eventsBefore = (await queuedEvents()).length;

      // The dry run (over HTTP, as `lazaret retention test` asks): the newest three (t5, t4,
      // alias) are kept, so are v1.0 and release-1 (patterns) and the locked tag.
      const dry = await fixture.client.req('POST', '/api/v1/retention/run', json({ dryRun: true }));
      assert.equal(dry.status, 200, dry.text());
      const planned = dry.json().deletions as { kind: string; tag: string | null; digest: string; reason: string; rule: string }[];
      assert.deepEqual(planned.filter((d) => d.kind === 'tag').map((d) => d.tag).sort(), ['t1', 't2', 't3']);
      assert.ok(planned.filter((d) => d.kind === 'tag').every((d) => d.reason === 'count' && d.rule === 'rt/*'));
      assert.deepEqual(planned.filter((d) => d.kind === 'manifest').map((d) => d.digest).sort(), [t2.digest, t3.digest].sort(), "t1's image is still named by alias");
      assert.ok(planned.filter((d) => d.kind === 'manifest').every((d) => d.reason === 'tags-deleted'));
      assert.deepEqual(await tagsOf(fixture, repo), allTags, 'a dry run deletes no tag');
      assert.ok(await manifestExists(fixture, repo, t2.digest), 'nor a manifest');
      assert.deepEqual(await auditTargets(fixture), [], 'nor audits anything');
      assert.equal((await queuedEvents()).length, eventsBefore, 'nor queues an event');

      const run = await fixture.client.req('POST', '/api/v1/retention/run', json({}));
      assert.equal(run.status, 200, run.text());
      assert.deepEqual(run.json().deletions, planned, 'the run did what the dry run said');
      assert.deepEqual(await tagsOf(fixture, repo), ['alias', 'locked', 'release-1', 't4', 't5', 'v1.0']);
      for (const gone of [t2, t3]) assert.equal(await manifestExists(fixture, repo, gone.digest), false);
      for (const kept of [t1, t4, t5, release, version, locked]) assert.ok(await manifestExists(fixture, repo, kept.digest));
      assert.deepEqual(await auditTargets(fixture), [`${repo}:t1`, `${repo}:t2`, `${repo}:t3`, `${repo}@${t2.digest}`, `${repo}@${t3.digest}`].sort());
      const events = await queuedEvents();
      assert.deepEqual(events.slice(0, events.length - eventsBefore).sort(), [`delete ${t2.digest}`, `delete ${t3.digest}`].sort(), 'a delete event per deleted manifest, as for a manual delete');

      // Nothing left to do: a second run deletes nothing.
      assert.deepEqual((await fixture.client.req('POST', '/api/v1/retention/run', json({}))).json().deletions, []);
    });

    test('older than D days unless pulled in the last P days: pulls by tag and by digest count, a HEAD does not', async () => {
      const repo = 'rtage/app';
      const [a, b, c] = [await push(fixture, repo, 'a'), await push(fixture, repo, 'b'), await push(fixture, repo, 'c')];
      const accept = { accept: OCI.manifest };
      assert.equal((await fixture.client.req('GET', `/v2/${repo}/manifests/a`, { headers: accept })).status, 200);
      assert.equal((await fixture.client.req('GET', `/v2/${repo}/manifests/${c.digest}`, { headers: accept })).status, 200);
      assert.equal((await fixture.client.req('HEAD', `/v2/${repo}/manifests/b`, { headers: accept })).status, 200);
      const pulledAt = Date.now();
      await fixture.server.services.pullTimes.flush();
      await setPolicy(fixture, { untagged: [], tags: [{ repositories: repo, olderThanDays: 7, keepPulledWithinDays: 14 }] });
      const deps = retentionDeps(fixture.server.services);
      const plan = async (days: number) => (await runRetention(deps, { dryRun: true, now: Date.now() + days * DAY, requestId: `age-${days}` })).planned;
      const tagsIn = (p: Awaited<ReturnType<typeof plan>>) => p.filter((d) => d.kind === 'tag').map((d) => d.tag).sort();

      assert.deepEqual(await plan(3), [], 'nothing is seven days old yet');
      const tenDays = await plan(10);
      assert.deepEqual(tagsIn(tenDays), ['b'], 'a and c were pulled within 14 days');
      assert.equal(tenDays[0]!.reason, 'age');
      assert.equal(tenDays[0]!.lastPulledAt, undefined, 'a HEAD is not a pull');
      assert.deepEqual(tagsIn(await plan(20)), ['a', 'b', 'c'], 'twenty days on, the pulls are too old');
      const twenty = (await plan(20)).find((d) => d.tag === 'a')!;
      assert.ok(twenty.lastPulledAt && Math.abs(twenty.lastPulledAt.getTime() - pulledAt) < 60_000, 'the recorded pull time');

      const run = await runRetention(deps, { now: Date.now() + 10 * DAY, requestId: 'age-run' });
      assert.deepEqual(run.result!.deleted.map((d) => `${d.kind} ${d.tag ?? d.digest}`), ['tag b', `manifest ${b.digest}`]);
      assert.deepEqual(await tagsOf(fixture, repo), ['a', 'c']);
      assert.ok(await manifestExists(fixture, repo, a.digest));
    });

    test('bad rule documents are 400 naming the field, and change nothing', async () => {
      const before = (await fixture.client.req('GET', '/api/v1/retention')).json();
      for (const [rules, field] of [
        [[{ repositories: 'Not A Pattern', keepLast: 1 }], /tags\[0\]\.repositories "Not A Pattern" is not a repository pattern/],
        [[{ repositories: 'x/*', keepTags: ['v*'] }], /tags\[0\]: give keepLast or olderThanDays/],
        [[{ repositories: 'x/*', keepLast: 1, keepTags: ['v*', 'bad/pattern'] }], /tags\[0\]\.keepTags\[1\] "bad\/pattern" is not a tag pattern/],
        [[{ repositories: 'x/*', keepLast: 1 }, { repositories: 'y/*', olderThanDays: -1 }], /tags\/1\/olderThanDays|tags\[1\]\.olderThanDays/],
      ] as const) {
        const res = await fixture.client.req('PUT', '/api/v1/retention', json({ untagged: [], tags: rules }));
        assert.equal(res.status, 400, JSON.stringify(rules));
        assert.match(res.json().errors[0].message, field);
      }
      assert.deepEqual((await fixture.client.req('GET', '/api/v1/retention')).json(), before);
    });
  });
}

describe('lazaret retention (the real binary)', () => {
  const fixture = useRegistryServer(CONFIG);
  const ROOT = fileURLToPath(new URL('..', import.meta.url));
  const cli = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(ROOT, 'bin/lazaret.js'), 'retention', ...args, '--registry', fixture.server.url], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: tmpdir() }, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  test('set --tags, show, test (a dry run), run; a malformed rule is refused before any request', async () => {
    for (const t of ['v1', 'old', 'new']) await push(fixture, 'cli/app', t);
    const set = await cli('set', '--tags', 'cli/*:keep-last=1,keep=v*|release-*', '--untagged', 'cli/*=30', '-o', 'json');
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(JSON.parse(set.stdout), { untagged: [{ repositories: 'cli/*', days: 30 }], tags: [{ repositories: 'cli/*', keepLast: 1, keepTags: ['v*', 'release-*'] }] });
    const show = await cli('show');
    assert.match(show.stdout, /tags\s+cli\/\*\s+keep last 1; keep v\* release-\*; delete the rest/);
    const dry = await cli('test');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^would delete 1 tag and 1 manifest/);
    assert.match(dry.stdout, /cli\/app:old\s+count/);
    assert.deepEqual(await tagsOf(fixture, 'cli/app'), ['new', 'old', 'v1'], '`test` deletes nothing');
    const run = await cli('run');
    assert.match(run.stdout, /^deleted 1 tag and 1 manifest/);
    assert.deepEqual(await tagsOf(fixture, 'cli/app'), ['new', 'v1']);
    const bad = await cli('set', '--tags', 'cli/*:keep-first=3');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /"keep-first=3" is not one of keep-last=N/);
  });
});

describe('pull times', () => {
  test('the recorder is bounded: at the bound it flushes, and what arrives during that flush beyond the bound is dropped, not queued', async () => {
    const server = await startTestServer(CONFIG);
    try {
      const store = server.services.store.pullTimes;
      const recorder = createPullTimeRecorder({ store: () => store, logger: pino({ level: 'silent' }), maxEntries: 2 });
      const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}` as never;
      recorder.pulled('bound/app', d(1));
      recorder.pulled('bound/app', d(1));
      recorder.pulled('bound/app', d(2));
      recorder.pulled('bound/app', d(3)); // at the bound: a flush of 1 and 2 starts; 3 waits for the next
      recorder.pulled('bound/app', d(4));
      recorder.pulled('bound/app', d(5)); // the bound again while the flush runs: dropped
      recorder.pulled('bound/app', d(4)); // known: updated in place
      assert.equal(recorder.dropped, 1);
      await recorder.stop();
      assert.deepEqual([...(await store.lastPulled('bound/app', [1, 2, 3, 4, 5].map(d))).keys()].sort(), [1, 2, 3, 4].map(d).sort());
    } finally {
      await server.close();
    }
  });

  test('pulls noted since the last flush are written when the server shuts down', async () => {
    // Our own data directory: a test server removes the one it made when it closes.
    const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-pulls-'));
    const first = await startTestServer(CONFIG, { dataDir });
    const client = createRegistryClient(first.url);
    const image = await client.pushImage('shutdown/app', 'v1', { layers: [randomBytes(32)] });
    assert.equal((await client.req('GET', '/v2/shutdown/app/manifests/v1', { headers: { accept: OCI.manifest } })).status, 200);
    await client.close();
    await first.close();
    const second = await startTestServer(CONFIG, { dataDir });
    try {
      assert.ok((await second.services.store.pullTimes.lastPulled('shutdown/app', [image.digest as never])).has(image.digest as never));
    } finally {
      await second.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('tag retention and held images', () => {
  const fixture = useRegistryServer(CONFIG);

  test('a tag of a held image does not exist for retention: not ranked, not deleted, not listed', async () => {
    const repo = 'rtheld/app';
    const [old1, old2, old3] = [await push(fixture, repo, 'old1'), await push(fixture, repo, 'old2'), await push(fixture, repo, 'old3')];
    // What is there now is released (Passed); what is pushed after the switch is held.
    assert.equal((await fixture.client.req('POST', '/api/v1/quarantine/grandfather', json({}))).status, 200);
    assert.equal((await fixture.client.req('PATCH', '/api/v1/policies', json({ quarantinePolicy: { status: 'enabled' } }))).status, 200);
    await setPolicy(fixture, { untagged: [{ repositories: repo, days: 0 }], tags: [{ repositories: repo, keepLast: 1 }] });
    const dryRun = async () => (await fixture.client.req('POST', '/api/v1/retention/run', json({ dryRun: true }))).json();
    const withoutHeld = await dryRun();
    const held = await push(fixture, repo, 'held-newest');
    await fixture.client.pushImage(repo, 'sha256-held-untagged', { layers: [randomBytes(32)] });
    await fixture.client.req('DELETE', `/v2/${repo}/manifests/sha256-held-untagged`);

    // The caller (auth none: no quarantine read) gets exactly the answer it got before the held
    // pushes: the held tag took no place among the last N, and nothing about it is shown.
    const withHeld = await dryRun();
    assert.deepEqual(withHeld, withoutHeld);
    assert.deepEqual(withHeld.deletions.filter((d: { kind: string }) => d.kind === 'tag').map((d: { tag: string }) => d.tag).sort(), ['old1', 'old2']);
    const run = await runRetention(retentionDeps(fixture.server.services), { now: Date.now() + 100 * DAY, requestId: 'held-run' });
    assert.ok(!run.result!.deleted.some((d) => d.digest === held.digest), 'the held image is kept, its tag too');
    assert.deepEqual((await fixture.server.services.store.tags.list(repo)).map((t) => t.name).sort(), ['held-newest', 'old3']);
    assert.equal(run.result!.deleted.filter((d) => d.kind === 'manifest').length, 2, `${old1.digest} and ${old2.digest}`);
    assert.ok(old3);
  });
});
