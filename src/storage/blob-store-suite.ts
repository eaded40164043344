/**
 * The BlobStore conformance suite (architecture.md, "One conformance suite per seam"). Every
 * driver's test file is a few lines: `runBlobStoreSuite({ name, create })`.
 *
 * Each test gets a fresh store from `create()` and ends with a hygiene check: no upload left
 * behind that the test did not leave on purpose (`uploads.listStale` in the future), and, when
 * the fixture can inspect its backing storage (`strayEntries`), nothing but committed blobs and
 * open uploads in it. Driver-specific abilities (`reopen`: a second instance on the same
 * storage, like a restarted process) are optional; tests needing them are skipped with the
 * reason named, and every driver in this repo provides them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { BlobStoreFixture, BlobStoreSuiteOptions, BlobSuiteContext } from './blob-store-suite-helpers.ts';
import { digestOf } from '../oci/index.ts';
import { BAD_DIGESTS, bytes, failingStream, isStorageError, pseudoRandom, readAll, streamOf } from './blob-store-suite-helpers.ts';
import { runBlobUploadTests } from './blob-store-suite-uploads.ts';

export type { BlobStoreFixture, BlobStoreSuiteOptions };

export function runBlobStoreSuite(options: BlobStoreSuiteOptions): void {
  const ctx: BlobSuiteContext = {
    async withStore(fn) {
      const fixture = await options.create();
      const keep = new Set<string>();
      try {
        await fn(fixture, keep);
        // Hygiene: only the uploads the test left open on purpose, nothing stray.
        const open = await fixture.store.uploads.listStale(new Date(Date.now() + 3_600_000));
        assert.deepEqual(open.sort(), [...keep].sort(), 'uploads left behind');
        if (fixture.strayEntries) assert.deepEqual(await fixture.strayEntries(), [], 'stray files in the blob store');
      } finally {
        await fixture.destroy();
      }
    },
  };
  const { withStore } = ctx;

  describe(`BlobStore conformance: ${options.name}`, () => {
    describe('put, stat, open, delete', () => {
      test('put then stat and open return exactly the bytes', () =>
        withStore(async ({ store }) => {
          const d = digestOf('hello world');
          assert.equal(await store.stat(d), undefined);
          assert.equal(await store.open(d), undefined);
          assert.deepEqual(await store.put(d, streamOf('hello ', 'world')), { digest: d, size: 11 });
          assert.deepEqual(await store.stat(d), { digest: d, size: 11 });
          assert.equal((await readAll(await store.open(d))).toString(), 'hello world');
        }));

      test('sha512 blobs are verified and stored like sha256 ones', () =>
        withStore(async ({ store }) => {
          const d = digestOf('five twelve', 'sha512');
          await store.put(d, streamOf('five twelve'));
          assert.equal((await readAll(await store.open(d))).toString(), 'five twelve');
          // The same bytes under their sha256 digest are a different blob.
          assert.equal(await store.stat(digestOf('five twelve')), undefined);
        }));

      test('the empty blob', () =>
        withStore(async ({ store }) => {
          const d = digestOf('');
          await store.put(d, streamOf());
          assert.deepEqual(await store.stat(d), { digest: d, size: 0 });
          assert.equal((await readAll(await store.open(d))).length, 0);
        }));

      test('a wrong digest is DIGEST_INVALID and leaves nothing visible', () =>
        withStore(async ({ store }) => {
          const claimed = digestOf('what the client claims');
          await assert.rejects(store.put(claimed, streamOf('what it sends')), isStorageError('digest-mismatch'));
          assert.equal(await store.stat(claimed), undefined);
          assert.equal(await store.stat(digestOf('what it sends')), undefined);
        }));

      test('a wrong expected size is SIZE_INVALID and leaves nothing visible', () =>
        withStore(async ({ store }) => {
          const d = digestOf('sized');
          await assert.rejects(store.put(d, streamOf('sized'), 6), isStorageError('size-mismatch'));
          assert.equal(await store.stat(d), undefined);
          assert.deepEqual(await store.put(d, streamOf('sized'), 5), { digest: d, size: 5 });
        }));

      test('a stream failing midway rejects and leaves nothing visible', () =>
        withStore(async ({ store }) => {
          const d = digestOf('never complete');
          await assert.rejects(store.put(d, failingStream(bytes('never'))), /client went away/);
          assert.equal(await store.stat(d), undefined);
        }));

      test('putting an existing digest is a no-op that still verifies the bytes', () =>
        withStore(async ({ store }) => {
          const d = digestOf('again');
          await store.put(d, streamOf('again'));
          assert.deepEqual(await store.put(d, streamOf('ag', 'ain')), { digest: d, size: 5 });
          await assert.rejects(store.put(d, streamOf('not again')), isStorageError('digest-mismatch'));
          assert.equal((await readAll(await store.open(d))).toString(), 'again');
          // Megabytes too: the stream is drained, not left stalled on backpressure.
          const big = pseudoRandom(3 * 1024 * 1024, 9);
          await store.put(digestOf(big), Readable.from([big]));
          const parts = [big.subarray(0, 1024 * 1024), big.subarray(1024 * 1024)];
          assert.deepEqual(await store.put(digestOf(big), Readable.from(parts)), { digest: digestOf(big), size: big.length });
        }));

      test('concurrent puts of the same digest all succeed with intact bytes', () =>
        withStore(async ({ store }) => {
          const data = pseudoRandom(256 * 1024, 7);
          const d = digestOf(data);
          const chunks = () => Readable.from([data.subarray(0, 1000), data.subarray(1000, 200_000), data.subarray(200_000)]);
          const results = await Promise.all(Array.from({ length: 8 }, () => store.put(d, chunks())));
          for (const r of results) assert.deepEqual(r, { digest: d, size: data.length });
          assert.ok((await readAll(await store.open(d))).equals(data));
        }));

      test('a multi-MiB blob streams in and out intact', () =>
        withStore(async ({ store }) => {
          const data = pseudoRandom(5 * 1024 * 1024 + 3, 11);
          const d = digestOf(data);
          const parts = [];
          for (let i = 0; i < data.length; i += 64 * 1024) parts.push(data.subarray(i, i + 64 * 1024));
          await store.put(d, Readable.from(parts), data.length);
          const back = await readAll(await store.open(d));
          assert.equal(back.length, data.length);
          assert.equal(digestOf(back), d);
        }));

      test('ranges are inclusive and exact', () =>
        withStore(async ({ store }) => {
          const data = pseudoRandom(3 * 1024 * 1024, 3);
          const d = digestOf(data);
          await store.put(d, Readable.from([data]));
          const range = async (start: number, end: number) => readAll(await store.open(d, { start, end }));
          assert.ok((await range(0, 0)).equals(data.subarray(0, 1)));
          assert.ok((await range(10, 19)).equals(data.subarray(10, 20)));
          assert.ok((await range(data.length - 1, data.length - 1)).equals(data.subarray(data.length - 1)));
          assert.ok((await range(1_000_000, 2_500_000)).equals(data.subarray(1_000_000, 2_500_001)));
          assert.ok((await range(0, data.length - 1)).equals(data));
        }));

      test('delete removes a blob once; afterwards it is absent', () =>
        withStore(async ({ store }) => {
          const d = digestOf('delete me');
          await store.put(d, streamOf('delete me'));
          const other = digestOf('keep me');
          await store.put(other, streamOf('keep me'));
          assert.equal(await store.delete(d), true);
          assert.equal(await store.delete(d), false);
          assert.equal(await store.stat(d), undefined);
          assert.equal(await store.open(d), undefined);
          assert.deepEqual(await store.stat(other), { digest: other, size: 7 });
        }));

      test('list walks every committed blob once with its size and write time, never upload data', () =>
        withStore(async ({ store }, keep) => {
          const before = Date.now() - 60_000;
          const a = digestOf('listed a');
          const b = digestOf('listed b, longer', 'sha512');
          const gone = digestOf('listed then deleted');
          for (const [d, text] of [[a, 'listed a'], [b, 'listed b, longer'], [gone, 'listed then deleted']] as const) await store.put(d, streamOf(text));
          await store.delete(gone);
          const open = '0b7d3f1e-0000-4000-8000-000000000001';
          await store.uploads.create(open);
          await store.uploads.append(open, 0, streamOf('not a blob yet'));
          keep.add(open);
          const listed = [];
          for await (const blob of store.list()) listed.push(blob);
          const mine = listed.filter((x) => x.digest === a || x.digest === b || x.digest === gone);
          assert.deepEqual(mine.map((x) => [x.digest, x.size]).sort(), [[a, 8], [b, 16]].sort());
          for (const x of mine) assert.ok(x.modifiedAt.getTime() >= before && x.modifiedAt.getTime() <= Date.now() + 60_000, `write time of ${x.digest}`);
          assert.equal(new Set(listed.map((x) => x.digest)).size, listed.length, 'each blob once');
          assert.ok(listed.every((x) => x.digest !== digestOf('not a blob yet')));
        }));

      test('invalid digests are rejected before touching storage', () =>
        withStore(async ({ store }) => {
          for (const bad of BAD_DIGESTS) {
            await assert.rejects(store.stat(bad), isStorageError('invalid-argument'), `stat ${bad}`);
            await assert.rejects(store.open(bad), isStorageError('invalid-argument'), `open ${bad}`);
            await assert.rejects(store.delete(bad), isStorageError('invalid-argument'), `delete ${bad}`);
            await assert.rejects(store.put(bad, streamOf('x')), isStorageError('invalid-argument'), `put ${bad}`);
          }
        }));
    });

    runBlobUploadTests(ctx);
  });
}

