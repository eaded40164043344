/** The tags-list page cache's own rules (the HTTP behaviour: test/tag-list-cache.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTagPageCache } from './tag-pages.ts';

const gate = {};
const page = (...items: string[]) => ({ items, more: false });

test('a page read before an invalidation is not stored after it; empty pages are not stored', () => {
  const c = createTagPageCache();
  const before = c.generation();
  c.invalidate();
  c.put(gate, 'r', 'k', page('a'), before);
  assert.equal(c.get(gate, 'r', 'k'), undefined, 'possibly stale: dropped');
  c.put(gate, 'r', 'k', page(), c.generation());
  assert.equal(c.get(gate, 'r', 'k'), undefined);
  c.put(gate, 'r', 'k', page('a', 'b'), c.generation());
  assert.deepEqual(c.get(gate, 'r', 'k')?.items, ['a', 'b']);
  assert.equal(c.get(gate, 'r', 'other key'), undefined);
  c.invalidate();
  assert.equal(c.get(gate, 'r', 'k'), undefined);
  assert.equal(c.bytes, 0);
});

test('bounded in bytes, least recently used dropped first; another gate drops everything', () => {
  const c = createTagPageCache({ maxBytes: 8000 });
  const names = Array.from({ length: 50 }, (_, i) => `tag-${i}`);
  for (let i = 0; i < 10; i++) {
    c.put(gate, 'r', `k${i}`, page(...names), c.generation());
    if (i > 0) c.get(gate, 'r', 'k0');
  }
  assert.ok(c.bytes <= 8000, `${c.bytes} bytes`);
  assert.ok(c.entries < 10);
  assert.ok(c.get(gate, 'r', 'k0'), 'the page used all along is kept');
  assert.equal(c.get(gate, 'r', 'k1'), undefined, 'the oldest unused went first');
  const huge = Array.from({ length: 400 }, (_, i) => `a-long-tag-name-${i}`);
  c.put(gate, 'r', 'huge', page(...huge), c.generation());
  assert.equal(c.get(gate, 'r', 'huge'), undefined, 'a page over a quarter of the bound is not cached');
  assert.equal(c.get({}, 'r', 'k0'), undefined, 'pages made by another gate are gone');
});
