import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMetadataStoreSuite } from './metadata-store-suite.ts';
import { openSqliteStore } from './open-metadata-store.ts';

runMetadataStoreSuite({
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
