/**
 * Where Lazaret's package lives and which version it is. Found by walking up from this module
 * to the nearest package.json named "lazaret", so it is the same answer from the sources
 * (src/package-info.ts) and from the compiled bundle (dist/lazaret.js), whose depth differs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): { root: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'lazaret') return { root: dir, version: pkg.version ?? '0.0.0' };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the lazaret package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

const found = findPackageRoot();
/** The package's root folder (holds package.json, portal/dist, docs/). */
export const PACKAGE_ROOT = found.root;
/** package.json's version: what `lazaret status` and /api/v1/status report. */
export const LAZARET_VERSION = found.version;
