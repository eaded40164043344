import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runBlobStoreSuite } from './blob-store-suite.ts';
import { createFsBlobStore } from './fs-blob-store.ts';

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
