/**
 * Child process for fs-blob-store-crash.test.ts: writes the same endless stream through `put`
 * and through a chunked upload until the parent kills it with SIGKILL. Prints one line per
 * MiB written so the parent knows when both writers are well under way.
 */
import { Readable } from 'node:stream';
import { createFsBlobStore } from './fs-blob-store.ts';
import { pseudoRandom } from './blob-store-suite-helpers.ts';
import { digestOf, type Digest } from '../oci/index.ts';

const [root, uploadId, claimed] = process.argv.slice(2) as [string, string, Digest];
const store = createFsBlobStore(root);
process.stdout.on('error', () => undefined); // the parent may stop listening first
const chunk = pseudoRandom(1024 * 1024, 42);

function endless(label: string): Readable {
  let n = 0;
  return new Readable({
    read() {
      n++;
      process.stdout.write(`${label} ${n}\n`);
      setTimeout(() => this.push(chunk), 5);
    },
  });
}

await store.uploads.create(uploadId);
void store.uploads.append(uploadId, 0, endless('append'));
void store.put(claimed ?? digestOf('never'), endless('put'));
