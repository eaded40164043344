/**
 * Crash safety of garbage collection with a real kill -9: the collector process dies at its
 * first deletion, once before the bytes go (the decision is committed) and once right after
 * (the tombstone is not marked done). The metadata never names a blob the store lacks (the kept
 * image pulls back whole), and the next run on a restarted server finishes the job.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startTestServer } from './helpers/server.ts';
import { createRegistryClient, digestOf } from './helpers/registry-client.ts';

const CHILD = join(import.meta.dirname, 'helpers', 'gc-crash-child.ts');

for (const when of ['before', 'after'] as const) {
  describe(`kill -9 of the collector ${when} its first deletion`, () => {
    test('nothing referenced is lost, and the next run finishes', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-gc-crash-'));
      const blobPath = (d: string) => join(dataDir, 'blobs', 'sha256', d.slice(7, 9), d.slice(7));
      try {
        const overrides = { 'auth.mode': 'none', 'gc.intervalSeconds': 0, 'scanner.builtin': false };
        let server = await startTestServer(overrides, { dataDir });
        let client = createRegistryClient(server.url);
        const shared = randomBytes(4000);
        const kept = await client.pushImage('crash/kept', 'v1', { layers: [shared, randomBytes(2000)] });
        const doomed = await client.pushImage('crash/doomed', 'v1', { layers: [shared, randomBytes(3000), randomBytes(3000)] });
        assert.equal((await client.req('DELETE', `/v2/crash/doomed/manifests/${doomed.digest}`)).status, 202);
        await client.close();
        await server.close();

        const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, when], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (c) => (stderr += c));
        const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
        assert.equal(signal, 'SIGKILL', `the collector was killed (exit ${code}): ${stderr.slice(-2000)}`);

        const own = [doomed.digest, digestOf(doomed.config), digestOf(doomed.layers[1]!), digestOf(doomed.layers[2]!)];
        const present = own.filter((d) => existsSync(blobPath(d)));
        // A batch's deletions run several at a time: killed after the first, others of the batch
        // may be done too. What matters is that some bytes went while no tombstone is marked done.
        if (when === 'before') assert.equal(present.length, 4, 'the kill came before any deletion');
        else assert.ok(present.length < 4, `the kill came after a deletion (${present.length} of 4 left)`);

        server = await startTestServer(overrides, { dataDir });
        client = createRegistryClient(server.url);
        // The kept image (and the layer it shares with the doomed one) is whole.
        const pull = async () => {
          assert.equal((await client.req('GET', `/v2/crash/kept/manifests/${kept.digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).status, 200);
          for (const blob of [kept.config, ...kept.layers]) {
            const res = await client.req('GET', `/v2/crash/kept/blobs/${digestOf(blob)}`);
            assert.equal(res.status, 200);
            assert.ok(res.body.equals(blob));
          }
        };
        await pull();
        // The tombstones the killed run committed are still there, waiting.
        const pending = await server.services.store.gc.pendingTombstones(100);
        assert.deepEqual(pending.map((t) => t.digest).sort(), [...own].sort());

        const r = await server.services.gc.start({ gracePeriodMs: 0 });
        assert.ok(r.started);
        const done = await r.done;
        assert.equal(done.status, 'done', done.error);
        assert.equal((done.summary as { blobsDeleted: number }).blobsDeleted, 4);
        for (const d of own) assert.equal(existsSync(blobPath(d)), false, `${d} collected by the next run`);
        assert.deepEqual(await server.services.store.gc.pendingTombstones(100), []);
        const runs = await server.services.gc.runs(5);
        assert.equal(runs.find((x) => x.id !== done.id)?.status, 'failed', 'the killed run is recorded as interrupted');
        await pull();
        await client.close();
        await server.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
