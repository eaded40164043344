import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../persistence/index.ts';
import { wakeAfterCommit } from './commit-wake.ts';

test('wakes after the commit of a transaction that queued events, never before it, never after a rollback', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-wake-'));
  const raw = await openSqliteStore(join(dir, 'lazaret.db'));
  try {
    let wakes = 0;
    const { store, markQueued } = wakeAfterCommit(raw, () => wakes++);

    await store.transaction(async (tx) => {
      await tx.repositories.ensure('a/b');
      markQueued(tx);
      await tx.repositories.ensure('a/c');
      assert.equal(wakes, 0, 'not woken inside the transaction');
    });
    assert.equal(wakes, 1);

    await store.transaction(async (tx) => {
      await tx.repositories.ensure('a/d');
    });
    assert.equal(wakes, 1, 'a transaction that queued nothing does not wake');

    await assert.rejects(
      store.transaction(async (tx) => {
        markQueued(tx);
        throw new Error('rolled back');
      }),
    );
    assert.equal(wakes, 1, 'a rolled-back transaction does not wake');

    // Two transactions in flight at once: each is marked through its own roles.
    await Promise.all([
      store.transaction(async (tx) => {
        await new Promise((r) => setTimeout(r, 20));
        markQueued(tx);
      }),
      store.transaction(async () => {}),
    ]);
    assert.equal(wakes, 2);

    markQueued(store);
    assert.equal(wakes, 3, 'outside a transaction: wakes at once');
  } finally {
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
