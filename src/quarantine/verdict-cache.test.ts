/** The verdict memo's own rules (the HTTP behaviour: test/verdict-cache.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Digest } from '../oci/index.ts';
import { cachedVerdicts, createVerdictCache } from './verdict-cache.ts';
import type { VerdictRecord, VerdictStore } from './verdicts.ts';

const D = 'sha256:aa' as Digest;
const record = (state: VerdictRecord['state']): VerdictRecord => ({ repository: 'r', digest: D, state, updatedAt: new Date(0), updatedBy: 'test' });

test('a lookup that raced an invalidation is not stored; "no verdict" is remembered too', () => {
  const c = createVerdictCache();
  const before = c.generation();
  c.invalidate();
  c.put('r', D, record('Passed'), before);
  assert.equal(c.get('r', D), undefined, 'possibly stale: dropped');
  c.put('r', D, null, c.generation());
  assert.equal(c.get('r', D), null);
  c.put('r', D, record('Passed'), c.generation());
  assert.equal(c.get('r', D)?.state, 'Passed');
  assert.equal(c.get('other', D), undefined);
  c.invalidate();
  assert.equal(c.get('r', D), undefined);
  assert.equal(c.bytes, 0);
});

test('bounded in bytes, least recently used dropped first; a zero bound keeps nothing', () => {
  const c = createVerdictCache({ maxBytes: 4000 });
  for (let i = 0; i < 40; i++) {
    c.put(`repo-${i}`, D, record('Passed'), c.generation());
    c.get('repo-0', D);
  }
  assert.ok(c.bytes <= 4000, `${c.bytes} bytes`);
  assert.ok(c.entries < 40);
  assert.ok(c.get('repo-0', D), 'the entry used all along is kept');
  assert.equal(c.get('repo-1', D), undefined, 'the oldest unused went first');
  const none = createVerdictCache({ maxBytes: 0 });
  none.put('r', D, record('Passed'), none.generation());
  assert.equal(none.get('r', D), undefined);
});

test('cachedVerdicts reads the store once until invalidated, and a read that raced a write is read again', async () => {
  let state: VerdictRecord['state'] | undefined;
  let reads = 0;
  let duringRead: (() => void) | undefined;
  const store = {
    async get() {
      reads++;
      const seen = state;
      duringRead?.();
      return seen ? record(seen) : undefined;
    },
  } as unknown as VerdictStore;
  const cache = createVerdictCache();
  const verdicts = cachedVerdicts(store, cache);
  assert.equal(await verdicts.get('r', D), undefined);
  assert.equal(await verdicts.get('r', D), undefined);
  assert.equal(reads, 1, 'absent is answered from memory');
  state = 'Passed';
  cache.invalidate();
  assert.equal((await verdicts.get('r', D))?.state, 'Passed');
  // A write commits (and invalidates) while a read of the old row is in flight.
  cache.invalidate();
  duringRead = () => {
    state = 'Quarantined';
    cache.invalidate();
  };
  assert.equal((await verdicts.get('r', D))?.state, 'Passed', 'the racing read saw the old row');
  duringRead = undefined;
  assert.equal((await verdicts.get('r', D))?.state, 'Quarantined', 'and did not pin it');
});

test('whether a repository holds a released manifest: remembered, invalidated, not pinned by a racing read, bounded', async () => {
  const withReleased = new Set(['a']);
  const asked: string[][] = [];
  let duringRead: (() => void) | undefined;
  const store = {
    async repositoriesWithReleased(names: string[]) {
      asked.push(names);
      const seen = new Set(names.filter((n) => withReleased.has(n)));
      duringRead?.();
      return seen;
    },
  } as unknown as VerdictStore;
  const cache = createVerdictCache();
  const verdicts = cachedVerdicts(store, cache);
  assert.deepEqual([...(await verdicts.repositoriesWithReleased(['a', 'b']))], ['a']);
  assert.deepEqual([...(await verdicts.repositoriesWithReleased(['a', 'b', 'c']))], ['a']);
  assert.deepEqual(asked, [['a', 'b'], ['c']], 'only the name not remembered is asked about');
  // b's first image is released: the write invalidates.
  withReleased.add('b');
  cache.invalidate();
  assert.deepEqual([...(await verdicts.repositoriesWithReleased(['a', 'b']))].sort(), ['a', 'b']);
  // a's only released image is re-held while a read of the old state is in flight.
  duringRead = () => {
    withReleased.delete('a');
    cache.invalidate();
  };
  cache.invalidate();
  assert.deepEqual([...(await verdicts.repositoriesWithReleased(['a']))], ['a'], 'the racing read saw the old rows');
  duringRead = undefined;
  assert.deepEqual([...(await verdicts.repositoriesWithReleased(['a']))], [], 'and did not pin them');

  const small = createVerdictCache({ maxBytes: 3000 });
  for (let i = 0; i < 40; i++) small.putHasReleased(`repo-${i}`, true, small.generation());
  assert.ok(small.bytes <= 3000, `${small.bytes} bytes`);
  assert.equal(small.hasReleased('repo-0'), undefined, 'the oldest went first');
  assert.equal(small.hasReleased('repo-39'), true);
  const none = createVerdictCache({ maxBytes: 0 });
  none.putHasReleased('r', true, none.generation());
  assert.equal(none.hasReleased('r'), undefined);
});
