import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMetadataStoreSuite } from '../metadata/metadata-store-suite.ts';
import { openSqliteStore } from './index.ts';

import { storeSuiteSections } from './store-suite.ts';

runMetadataStoreSuite({
  sections: storeSuiteSections,
  name: 'SQLite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'lazaret-sqlite-'));
    const store = await openSqliteStore(join(dir, 'lazaret.db'));
    return {
      store,
      async destroy() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
