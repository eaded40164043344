/** The tags-list page cache's own rules (the HTTP behaviour: test/tag-list-cache.test.ts; across nodes: test/cluster-haproxy.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTagPageCache, type PageStamp, type TagPageCache } from './tag-pages.ts';

const gate = {};
const page = (...items: string[]) => ({ items, more: false });
const get = async (c: TagPageCache, key: string, decider: object = gate, repository = 'r') => {
  const found = await c.lookup(decider, repository, key);
  return 'page' in found ? found.page : undefined;
};
/** The stamp a miss hands out (for a key never stored). */
const stampOf = async (c: TagPageCache, repository = 'r'): Promise<PageStamp> => {
  const found = await c.lookup(gate, repository, '\0never stored');
  assert.ok('stamp' in found);
  return found.stamp;
};

test('a page read before an invalidation is not stored after it; empty pages are not stored', async () => {
  const c = createTagPageCache();
  const before = await stampOf(c);
  c.invalidate();
  c.put(gate, 'r', 'k', page('a'), before);
  assert.equal(await get(c, 'k'), undefined, 'possibly stale: dropped');
  c.put(gate, 'r', 'k', page(), await stampOf(c));
  assert.equal(await get(c, 'k'), undefined);
  c.put(gate, 'r', 'k', page('a', 'b'), await stampOf(c));
  assert.deepEqual((await get(c, 'k'))?.items, ['a', 'b']);
  assert.equal(await get(c, 'other key'), undefined);
  c.invalidate();
  assert.equal(await get(c, 'k'), undefined);
  assert.equal(c.bytes, 0);
});

test('bounded in bytes, least recently used dropped first; another gate drops everything', async () => {
  const c = createTagPageCache({ maxBytes: 8000 });
  const names = Array.from({ length: 50 }, (_, i) => `tag-${i}`);
  for (let i = 0; i < 10; i++) {
    c.put(gate, 'r', `k${i}`, page(...names), await stampOf(c));
    if (i > 0) await get(c, 'k0');
  }
  assert.ok(c.bytes <= 8000, `${c.bytes} bytes`);
  assert.ok(c.entries < 10);
  assert.ok(await get(c, 'k0'), 'the page used all along is kept');
  assert.equal(await get(c, 'k1'), undefined, 'the oldest unused went first');
  const huge = Array.from({ length: 400 }, (_, i) => `a-long-tag-name-${i}`);
  c.put(gate, 'r', 'huge', page(...huge), await stampOf(c));
  assert.equal(await get(c, 'huge'), undefined, 'a page over a quarter of the bound is not cached');
  assert.equal(await get(c, 'k0', {}), undefined, 'pages made by another gate are gone');
});

test('shared: a hit is served only while the repository generation it was made at has not moved', async () => {
  // The counters stand for TagListGenerationStore rows another process raises; no invalidation
  // reaches this cache (the notification has not arrived).
  const generations = new Map<string, number>();
  const reads: string[] = [];
  const c = createTagPageCache({
    shared: async (repository) => {
      reads.push(repository);
      return generations.get(repository) ?? 0;
    },
  });
  c.put(gate, 'r', 'k', page('a', 'b'), await stampOf(c));
  c.put(gate, 'other', 'k', page('x'), await stampOf(c, 'other'));
  reads.length = 0;
  assert.deepEqual((await get(c, 'k'))?.items, ['a', 'b']);
  assert.deepEqual(reads, ['r'], 'one generation read per hit, of its own repository');
  const stale = await stampOf(c);
  generations.set('r', 1);
  assert.equal(await get(c, 'k'), undefined, 'another process changed r: the page is not served');
  assert.equal(c.entries, 1, 'and it is dropped');
  assert.deepEqual((await get(c, 'k', gate, 'other'))?.items, ['x'], 'other repositories keep theirs');
  c.put(gate, 'r', 'k', page('a'), stale);
  assert.equal(await get(c, 'k'), undefined, 'a page made from rows read before the change is never served after it');
  c.put(gate, 'r', 'k', page('a'), await stampOf(c));
  assert.deepEqual((await get(c, 'k'))?.items, ['a'], 'one made after it is');
});
