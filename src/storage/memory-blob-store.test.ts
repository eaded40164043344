import { runBlobStoreSuite } from './blob-store-suite.ts';
import { createMemoryBacking, createMemoryBlobStore } from './memory-blob-store.ts';

runBlobStoreSuite({
  name: 'in-memory',
  async create() {
    const backing = createMemoryBacking();
    return {
      store: createMemoryBlobStore(backing),
      reopen: () => createMemoryBlobStore(backing),
      async destroy() {
        backing.blobs.clear();
        backing.uploads.clear();
      },
    };
  },
});
