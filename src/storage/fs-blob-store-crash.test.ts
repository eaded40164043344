/**
 * Crash safety of the filesystem driver with a real process kill: a writer process is
 * SIGKILLed in the middle of a `put` and of a chunked upload; the store reopened afterwards
 * shows no partial blob, reports the leftovers as stale uploads, and the same blob can be
 * written again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createFsBlobStore } from './fs-blob-store.ts';
import { pseudoRandom } from './blob-store-suite-helpers.ts';
import { digestOf } from '../oci/digest.ts';
import { isStorageError } from './blob-store-suite-helpers.ts';

test('kill -9 during put and during a chunked upload leaves no partial blob', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lazaret-crash-'));
  try {
    // The digest the killed `put` claims: what 8 MiB of its stream would hash to.
    const chunk = pseudoRandom(1024 * 1024, 42);
    const eight = Buffer.concat(Array.from({ length: 8 }, () => chunk));
    const claimed = digestOf(eight);
    const uploadId = randomUUID();
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fs-blob-store-crash-child.ts'), root, uploadId, claimed], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    const seen = { append: 0, put: 0 };
    await new Promise<void>((resolve, reject) => {
      child.once('exit', () => reject(new Error('the writer exited before it was killed')));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const [label, n] = line.split(' ') as ['append' | 'put', string];
        seen[label] = Number(n);
        if (seen.append >= 6 && seen.put >= 6) resolve();
      });
    });
    // A read of the stream is not a write to the disk: under load the writer can be several
    // chunks behind its source. Kill only once 4 MiB are on disk, as the size check below needs.
    const observer = createFsBlobStore(root);
    const deadline = Date.now() + 30_000;
    while (((await observer.uploads.size(uploadId)) ?? 0) < 4 * 1024 * 1024) {
      assert.ok(Date.now() < deadline, 'the writer never got 4 MiB onto the disk');
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');

    const store = createFsBlobStore(root); // "the restarted server"
    assert.equal(await store.stat(claimed), undefined, 'the interrupted put is not visible');
    const partial = await store.uploads.size(uploadId);
    assert.ok(partial !== undefined && partial >= 4 * 1024 * 1024, `the session kept its bytes (${partial})`);
    const stale = await store.uploads.listStale(new Date(Date.now() + 60_000));
    assert.ok(stale.includes(uploadId));
    assert.equal(stale.length, 2, 'the session and the orphaned put temp file');

    // The partial upload cannot pass for the whole blob...
    await assert.rejects(store.uploads.commit(uploadId, claimed), isStorageError('digest-mismatch'));
    assert.equal(await store.stat(claimed), undefined);
    // ...the janitor's sweep removes the leftovers, and the blob can be written again.
    for (const id of await store.uploads.listStale(new Date(Date.now() + 60_000))) await store.uploads.abort(id);
    assert.deepEqual(await store.uploads.listStale(new Date(Date.now() + 60_000)), []);
    await store.put(claimed, Readable.from([eight]));
    assert.deepEqual(await store.stat(claimed), { digest: claimed, size: eight.length });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
