import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { digestOf } from '../oci/digest.ts';
import { runBlobStoreSuite } from './blob-store-suite.ts';
import { createFsBlobStore } from './fs-blob-store.ts';
import { isStorageError } from './errors.ts';

const COMMITTED = /^(sha256\/([0-9a-f]{2})\/\2[0-9a-f]{62}|sha512\/([0-9a-f]{2})\/\3[0-9a-f]{126})$/;
const UPLOAD = /^_uploads\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Every file under `root` that is neither a committed blob nor an upload's data. */
function strayFiles(root: string, dir = root, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) strayFiles(root, full, out);
    else if (!COMMITTED.test(relative(root, full)) && !UPLOAD.test(relative(root, full))) out.push(relative(root, full));
  }
  return out;
}

runBlobStoreSuite({
  name: 'filesystem',
  async create() {
    // A parent directory with the store one level down: anything escaping the root shows up.
    const parent = mkdtempSync(join(tmpdir(), 'lazaret-fs-blobs-'));
    const root = join(parent, 'blobs');
    return {
      store: createFsBlobStore(root),
      reopen: () => createFsBlobStore(root),
      async strayEntries() {
        return strayFiles(parent).filter((f) => !f.startsWith('blobs/')).concat(
          readdirSync(parent).includes('blobs') ? strayFiles(root) : [],
        );
      },
      async destroy() {
        rmSync(parent, { recursive: true, force: true });
      },
    };
  },
});

describe('filesystem driver specifics', () => {
  const withRoot = async (fn: (root: string) => Promise<void>) => {
    const root = mkdtempSync(join(tmpdir(), 'lazaret-fs-specific-'));
    try {
      await fn(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };

  test('committed blobs live at <root>/<alg>/<hex[0:2]>/<hex>', () =>
    withRoot(async (root) => {
      const store = createFsBlobStore(root, { fsync: false });
      const d = digestOf('layout');
      await store.put(d, Readable.from([Buffer.from('layout')]));
      const hex = d.slice('sha256:'.length);
      assert.equal(readFileSync(join(root, 'sha256', hex.slice(0, 2), hex), 'utf8'), 'layout');
      const d512 = digestOf('layout', 'sha512');
      await store.put(d512, Readable.from([Buffer.from('layout')]));
      const hex512 = d512.slice('sha512:'.length);
      assert.ok(existsSync(join(root, 'sha512', hex512.slice(0, 2), hex512)));
    }));

  test('a fan-out directory removed behind the store’s back is recreated', () =>
    withRoot(async (root) => {
      const store = createFsBlobStore(root);
      const a = digestOf('first');
      await store.put(a, Readable.from([Buffer.from('first')]));
      await store.delete(a);
      rmSync(join(root, 'sha256'), { recursive: true });
      await store.put(a, Readable.from([Buffer.from('first')]));
      assert.deepEqual(await store.stat(a), { digest: a, size: 5 });
    }));

  test('the temp file of a put killed midway is a stale upload the janitor can remove', () =>
    withRoot(async (root) => {
      const store = createFsBlobStore(root);
      // What a kill -9 during `put` leaves behind: a UUID-named temp file, no blob.
      mkdirSync(join(root, '_uploads'), { recursive: true });
      const orphan = randomUUID();
      writeFileSync(join(root, '_uploads', orphan), 'half a layer');
      const old = new Date(Date.now() - 3_600_000);
      utimesSync(join(root, '_uploads', orphan), old, old);
      assert.deepEqual(await store.uploads.listStale(new Date(Date.now() - 60_000)), [orphan]);
      await store.uploads.abort(orphan);
      assert.deepEqual(readdirSync(join(root, '_uploads')), []);
      assert.equal(await store.stat(digestOf('half a layer')), undefined);
    }));

  test('a stream opened before a delete still yields the whole blob', () =>
    withRoot(async (root) => {
      const store = createFsBlobStore(root, { fsync: false });
      const data = Buffer.alloc(3 * 1024 * 1024, 9);
      const d = digestOf(data);
      await store.put(d, Readable.from([data]));
      const stream = await store.open(d);
      assert.equal(await store.delete(d), true);
      const chunks: Buffer[] = [];
      for await (const c of stream!) chunks.push(c as Buffer);
      assert.ok(Buffer.concat(chunks).equals(data));
    }));
  // Each appended chunk is fdatasync'ed in the background after its append returns; these are
  // the moments a sync is still running: the next append, the commit, an abort.
  test('chunks synced in the background: appends, commit and abort while syncs run', () =>
    withRoot(async (root) => {
      const store = createFsBlobStore(root);
      const chunks = [0, 1, 2, 3].map((i) => Buffer.alloc(512 * 1024, i + 1));
      const whole = Buffer.concat(chunks);
      const committed = randomUUID();
      await store.uploads.create(committed);
      let offset = 0;
      for (const c of chunks) offset = await store.uploads.append(committed, offset, Readable.from([c]));
      assert.deepEqual(await store.uploads.commit(committed, digestOf(whole)), { digest: digestOf(whole), size: whole.length });
      const read: Buffer[] = [];
      for await (const c of (await store.open(digestOf(whole)))!) read.push(c as Buffer);
      assert.ok(Buffer.concat(read).equals(whole));

      const aborted = randomUUID();
      await store.uploads.create(aborted);
      await store.uploads.append(aborted, 0, Readable.from([chunks[0]!]));
      await store.uploads.abort(aborted);
      assert.equal(await store.uploads.size(aborted), undefined);
      assert.deepEqual(readdirSync(join(root, '_uploads')), []);

      // A mismatching commit after background syncs still removes the temp bytes.
      const wrong = randomUUID();
      await store.uploads.create(wrong);
      await store.uploads.append(wrong, 0, Readable.from([chunks[1]!]));
      await assert.rejects(store.uploads.commit(wrong, digestOf('something else')), (err) => isStorageError(err, 'digest-mismatch'));
      assert.deepEqual(readdirSync(join(root, '_uploads')), []);
    }));
});
