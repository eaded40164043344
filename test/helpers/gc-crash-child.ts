/**
 * Child process for gc-crash.test.ts: opens the registry's stores on a data directory the way
 * `lazaret serve` does and runs one garbage collection with a zero grace period, killing itself
 * with SIGKILL at the first blob deletion: `before` (the decision is committed, nothing
 * deleted yet) or `after` (the bytes are gone, the tombstone not marked done).
 */
import pino from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { createServices } from '../../src/services.ts';
import { createCollector } from '../../src/lifecycle/gc/collector.ts';
import type { BlobStore } from '../../src/storage/blob-store.ts';

const [dataDir, when] = process.argv.slice(2) as [string, 'before' | 'after'];
const config = loadConfig({ env: {}, overrides: { dataDir, 'auth.mode': 'none', 'log.level': 'silent', 'gc.intervalSeconds': 0, 'scanner.builtin': false } });
const services = await createServices(config, pino({ level: 'silent' }));
const killing: BlobStore = {
  ...services.blobs,
  async delete(digest) {
    if (when === 'before') process.kill(process.pid, 'SIGKILL');
    const deleted = await services.blobs.delete(digest);
    process.kill(process.pid, 'SIGKILL');
    return deleted;
  },
};
const collector = createCollector({ store: services.store, blobs: killing, logger: pino({ level: 'silent' }), settings: { gracePeriodMs: 0, inFlightMs: 0 } });
const started = await collector.start();
if (!started.started) throw new Error('the collector did not start');
await started.done;
throw new Error('the collector finished without deleting anything');
