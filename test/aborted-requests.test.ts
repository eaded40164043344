/**
 * A client that disconnects in the middle of a manifest PUT: logged at info as an aborted
 * request (not an error-level "unhandled error" that would have been a 500), and nothing is
 * left behind: no manifest, no tag, no repository. Runs the real `lazaret serve` to read its
 * log as an operator would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer } from './helpers/spawn-server.ts';

test('a manifest PUT cut off half-way is an info-level aborted request and leaves nothing', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-abort-'));
  const server = await spawnServer({ LAZARET_DATA_DIR: dataDir, LAZARET_AUTH_MODE: 'none' }, 90_000);
  try {
    const { hostname, port } = new URL(server.url);
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [] });
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => {
        socket.write(`PUT /v2/abort/app/manifests/v1 HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: ${manifest.length + 500}\r\n\r\n`);
        socket.write(manifest.slice(0, 40));
        // Let the server start reading the body, then go away.
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 300);
      });
      socket.on('error', reject);
    });
    const deadline = Date.now() + 15_000;
    const aborted = () => server.output.map((l) => { try { return JSON.parse(l); } catch { return undefined; } }).filter((e) => e && e.msg === 'request aborted by the client');
    while (aborted().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const entries = aborted();
    assert.equal(entries.length, 1, `the abort is logged once:\n${server.output.join('\n')}`);
    assert.equal(entries[0].level, 30, 'at info');
    assert.ok(!server.output.some((l) => /unhandled error/.test(l) || /"level":50/.test(l)), `nothing at error level:\n${server.output.join('\n')}`);
    assert.equal((await fetch(`${server.url}/v2/abort/app/manifests/v1`)).status, 404, 'no manifest');
    assert.equal((await fetch(`${server.url}/v2/abort/app/tags/list`)).status, 404, 'no tag, no repository');
    const catalog = (await (await fetch(`${server.url}/v2/_catalog`)).json()) as { repositories: string[] };
    assert.deepEqual(catalog.repositories, []);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
