/**
 * The upload-session half of the BlobStore conformance suite (see blob-store-suite.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestOf } from '../oci/index.ts';
import {
  BAD_DIGESTS,
  bytes,
  failingStream,
  isStorageError,
  pseudoRandom,
  readAll,
  streamOf,
  type BlobSuiteContext,
} from './blob-store-suite-helpers.ts';

const BAD_UPLOAD_IDS = ['../../etc/passwd', '..', '', 'not-a-uuid', randomUUID().toUpperCase(), `${randomUUID()}/x`, `../${randomUUID()}`];

export function runBlobUploadTests({ withStore }: BlobSuiteContext): void {
  describe('upload sessions', () => {
    test('chunks append in order and commit into a visible blob', () =>
      withStore(async ({ store }) => {
        const id = randomUUID();
        await store.uploads.create(id);
        assert.equal(await store.uploads.size(id), 0);
        assert.equal(await store.uploads.append(id, 0, streamOf('hello ')), 6);
        assert.equal(await store.uploads.append(id, 6, streamOf('chunked ', 'world')), 19);
        assert.equal(await store.uploads.size(id), 19);
        const d = digestOf('hello chunked world');
        assert.equal(await store.stat(d), undefined, 'not visible before commit');
        assert.deepEqual(await store.uploads.commit(id, d), { digest: d, size: 19 });
        assert.equal((await readAll(await store.open(d))).toString(), 'hello chunked world');
        assert.equal(await store.uploads.size(id), undefined, 'the session is gone after commit');
      }));

    test('sha512 and empty uploads commit', () =>
      withStore(async ({ store }) => {
        const a = randomUUID();
        await store.uploads.create(a);
        await store.uploads.append(a, 0, streamOf('five'));
        await store.uploads.append(a, 4, streamOf(' twelve'));
        const d512 = digestOf('five twelve', 'sha512');
        assert.deepEqual(await store.uploads.commit(a, d512), { digest: d512, size: 11 });
        const b = randomUUID();
        await store.uploads.create(b);
        assert.deepEqual(await store.uploads.commit(b, digestOf('')), { digest: digestOf(''), size: 0 });
      }));

    test('an out-of-order chunk is BLOB_UPLOAD_OUT_OF_ORDER and changes nothing', () =>
      withStore(async ({ store }) => {
        const id = randomUUID();
        await store.uploads.create(id);
        await store.uploads.append(id, 0, streamOf('abc'));
        await assert.rejects(store.uploads.append(id, 5, streamOf('xyz')), isStorageError('range-not-satisfiable'));
        await assert.rejects(store.uploads.append(id, 0, streamOf('xyz')), isStorageError('range-not-satisfiable'));
        assert.equal(await store.uploads.size(id), 3);
        await store.uploads.append(id, 3, streamOf('def'));
        await store.uploads.commit(id, digestOf('abcdef'));
      }));

    test('two concurrent chunks at one offset: one wins, the other is out of order', () =>
      withStore(async ({ store }) => {
        const id = randomUUID();
        await store.uploads.create(id);
        const results = await Promise.allSettled([store.uploads.append(id, 0, streamOf('first')), store.uploads.append(id, 0, streamOf('other'))]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        isStorageError('range-not-satisfiable')(rejected.reason);
        const winner = results[0]!.status === 'fulfilled' ? 'first' : 'other';
        await store.uploads.commit(id, digestOf(winner));
      }));

    test('a chunk failing midway leaves the upload as it was; resending it works', () =>
      withStore(async ({ store }) => {
        const id = randomUUID();
        await store.uploads.create(id);
        await store.uploads.append(id, 0, streamOf('start-'));
        await assert.rejects(store.uploads.append(id, 6, failingStream(bytes('partial'))), /client went away/);
        assert.equal(await store.uploads.size(id), 6);
        await store.uploads.append(id, 6, streamOf('end'));
        await store.uploads.commit(id, digestOf('start-end'));
      }));

    test('a wrong digest at commit is DIGEST_INVALID: nothing visible, the session is gone', () =>
      withStore(async ({ store }) => {
        const id = randomUUID();
        await store.uploads.create(id);
        await store.uploads.append(id, 0, streamOf('actual bytes'));
        const claimed = digestOf('claimed bytes');
        await assert.rejects(store.uploads.commit(id, claimed), isStorageError('digest-mismatch'));
        assert.equal(await store.stat(claimed), undefined);
        assert.equal(await store.stat(digestOf('actual bytes')), undefined);
        assert.equal(await store.uploads.size(id), undefined);
      }));

    test('committing onto an existing blob keeps one intact copy', () =>
      withStore(async ({ store }) => {
        const d = digestOf('twice');
        await store.put(d, streamOf('twice'));
        const id = randomUUID();
        await store.uploads.create(id);
        await store.uploads.append(id, 0, streamOf('twice'));
        await store.uploads.commit(id, d);
        assert.equal((await readAll(await store.open(d))).toString(), 'twice');
      }));

    test('unknown uploads: append and commit are BLOB_UPLOAD_UNKNOWN, size undefined, abort a no-op', () =>
      withStore(async ({ store }) => {
        const id = randomUUID();
        await assert.rejects(store.uploads.append(id, 0, streamOf('x')), isStorageError('not-found'));
        await assert.rejects(store.uploads.commit(id, digestOf('x')), isStorageError('not-found'));
        assert.equal(await store.uploads.size(id), undefined);
        await store.uploads.abort(id);
      }));

    test('invalid upload ids (path traversal) are rejected before touching storage', () =>
      withStore(async ({ store }) => {
        for (const bad of BAD_UPLOAD_IDS) {
          await assert.rejects(store.uploads.create(bad), isStorageError('invalid-argument'), `create ${bad}`);
          await assert.rejects(store.uploads.append(bad, 0, streamOf('x')), isStorageError('not-found'), `append ${bad}`);
          await assert.rejects(store.uploads.commit(bad, digestOf('x')), isStorageError('not-found'), `commit ${bad}`);
          assert.equal(await store.uploads.size(bad), undefined, `size ${bad}`);
          await store.uploads.abort(bad);
        }
        const id = randomUUID();
        await store.uploads.create(id);
        for (const bad of BAD_DIGESTS) {
          await assert.rejects(store.uploads.commit(id, bad), isStorageError('invalid-argument'), `commit with ${bad}`);
        }
        assert.equal(await store.uploads.size(id), 0, 'a rejected digest does not consume the upload');
        await store.uploads.abort(id);
      }));

    test('creating an existing upload id fails and keeps its data', () =>
      withStore(async ({ store }) => {
        const id = randomUUID();
        await store.uploads.create(id);
        await store.uploads.append(id, 0, streamOf('data'));
        await assert.rejects(store.uploads.create(id), isStorageError('already-exists'));
        assert.equal(await store.uploads.size(id), 4);
        await store.uploads.abort(id);
      }));

    test('abort removes the session and its data', () =>
      withStore(async ({ store }) => {
        const id = randomUUID();
        await store.uploads.create(id);
        await store.uploads.append(id, 0, streamOf('gone'));
        await store.uploads.abort(id);
        assert.equal(await store.uploads.size(id), undefined);
        await assert.rejects(store.uploads.commit(id, digestOf('gone')), isStorageError('not-found'));
        assert.equal(await store.stat(digestOf('gone')), undefined);
      }));

    test('listStale: sessions last written before the cut-off, appends refresh them', () =>
      withStore(async ({ store }, keep) => {
        const idle = randomUUID();
        const busy = randomUUID();
        await store.uploads.create(idle);
        await store.uploads.create(busy);
        await sleep(30);
        const cutoff = new Date();
        await sleep(30);
        await store.uploads.append(busy, 0, streamOf('still writing'));
        assert.deepEqual(await store.uploads.listStale(cutoff), [idle]);
        assert.deepEqual(await store.uploads.listStale(new Date(Date.now() - 3_600_000)), []);
        assert.deepEqual((await store.uploads.listStale(new Date(Date.now() + 1000))).sort(), [idle, busy].sort());
        await store.uploads.abort(idle);
        assert.deepEqual(await store.uploads.listStale(new Date(Date.now() + 1000)), [busy]);
        keep.add(busy); // left open on purpose: the hygiene check must see exactly this one
      }));

    test('a large chunked upload commits with the right digest', () =>
      withStore(async ({ store }) => {
        const data = pseudoRandom(4 * 1024 * 1024 + 17, 5);
        const id = randomUUID();
        await store.uploads.create(id);
        let offset = 0;
        for (const size of [1, 1024 * 1024, 3, 2 * 1024 * 1024, data.length]) {
          const chunk = data.subarray(offset, Math.min(offset + size, data.length));
          if (chunk.length === 0) break;
          offset = await store.uploads.append(id, offset, Readable.from([chunk]));
        }
        assert.equal(offset, data.length);
        await store.uploads.commit(id, digestOf(data));
        assert.ok((await readAll(await store.open(digestOf(data)))).equals(data));
      }));

    test('a restarted store (no in-process hash state) still commits and verifies', (t) =>
      withStore(async (fixture) => {
        if (!fixture.reopen) return t.skip('driver has no reopen');
        const { store } = fixture;
        // Megabytes, not bytes: the re-hash path must stream the file, not fit one buffer.
        const head = pseudoRandom(2 * 1024 * 1024 + 5, 21);
        const tail = pseudoRandom(1024 * 1024, 22);
        const whole = digestOf(Buffer.concat([head, tail]));
        const id = randomUUID();
        await store.uploads.create(id);
        await store.uploads.append(id, 0, Readable.from([head]));
        const restarted = fixture.reopen();
        assert.equal(await restarted.uploads.size(id), head.length);
        await restarted.uploads.append(id, head.length, Readable.from([tail]));
        // Wrong digest still caught by the re-hash path.
        const other = randomUUID();
        await store.uploads.create(other);
        await store.uploads.append(other, 0, Readable.from([head]));
        await assert.rejects(fixture.reopen().uploads.commit(other, digestOf('y')), isStorageError('digest-mismatch'));
        await restarted.uploads.commit(id, whole);
        assert.equal(digestOf(await readAll(await store.open(whole))), whole);
      }));

    test('another instance appending makes this one re-hash instead of trusting stale state', (t) =>
      withStore(async (fixture) => {
        if (!fixture.reopen) return t.skip('driver has no reopen');
        const { store } = fixture;
        const second = fixture.reopen();
        const id = randomUUID();
        await store.uploads.create(id);
        await store.uploads.append(id, 0, streamOf('one,'));
        await second.uploads.append(id, 4, streamOf('two,'));
        await store.uploads.append(id, 8, streamOf('three'));
        await store.uploads.commit(id, digestOf('one,two,three'));
        assert.equal((await readAll(await store.open(digestOf('one,two,three')))).toString(), 'one,two,three');
      }));
  });
}
