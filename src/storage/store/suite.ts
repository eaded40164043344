/**
 * The UploadStateStore conformance tests (contract: ../upload-states.ts): run on SQLite and
 * PostgreSQL as a MetadataStore suite section, and on the in-memory store.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { UploadStateStore } from '../upload-states.ts';
import type { MetadataSuiteContext } from '../../metadata/metadata-store-suite.ts';
import type { StorageRoles } from './index.ts';

export const uploadStatesSection = ({ store }: MetadataSuiteContext<StorageRoles>) => uploadStateTests(() => store().blobUploadStates);

export function uploadStateTests(states: () => UploadStateStore): void {
  describe('blob upload states', () => {
    test('create once, get, compare-and-set replace, delete', async () => {
      const id = randomUUID();
      assert.equal(await states().get(id), undefined);
      assert.equal(await states().create(id, '{"a":1}'), true);
      assert.equal(await states().create(id, '{"other":true}'), false, 'an id is created once');
      const first = (await states().get(id))!;
      assert.equal(first.state, '{"a":1}');
      assert.equal(await states().replace(id, first.version, '{"a":2}'), true);
      assert.equal(await states().replace(id, first.version, '{"a":3}'), false, 'a stale version loses');
      const second = (await states().get(id))!;
      assert.equal(second.state, '{"a":2}');
      assert.equal(second.version, first.version + 1);
      await states().delete(id);
      assert.equal(await states().get(id), undefined);
      assert.equal(await states().replace(id, second.version, '{}'), false, 'a deleted state cannot be replaced');
    });

    test('of concurrent replaces from one version exactly one wins', async () => {
      const id = randomUUID();
      await states().create(id, '0');
      const { version } = (await states().get(id))!;
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => states().replace(id, version, String(i + 1))));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true) + 1;
      assert.equal((await states().get(id))!.state, String(winner));
      await states().delete(id);
    });

    test('listStale: last written before the cut-off; a replace refreshes', async () => {
      const idle = randomUUID();
      const busy = randomUUID();
      await states().create(idle, '{}');
      await states().create(busy, '{}');
      await sleep(20);
      const cutoff = new Date();
      await sleep(20);
      await states().replace(busy, (await states().get(busy))!.version, '{"more":1}');
      const stale = await states().listStale(cutoff);
      assert.ok(stale.includes(idle));
      assert.ok(!stale.includes(busy));
      await states().delete(idle);
      await states().delete(busy);
    });
  });
}
