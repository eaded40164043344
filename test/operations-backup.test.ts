/**
 * Backup, restore and verify with the real binary against a serving registry: a backup taken
 * during a stream of pushes restores elsewhere and every image in it pulls back byte for byte
 * (every image finished before the backup started is in it); a second backup copies only new
 * blobs; restore refuses a non-empty data directory; a blob corrupted on disk is named by
 * `verify`, never served as a complete response (small: 500 before any byte; large: the
 * transfer is cut short), and `verify --repair` removes it so a push restores it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { startTestServer } from './helpers/server.ts';
import { pushImage, uploadBlob, putManifest, type PushedImage } from './helpers/quarantine-fixtures.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin/lazaret.js'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const blobFile = (dataDir: string, digest: string) => join(dataDir, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));

async function get(url: string) {
  const res = await request(url, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
}

/** An image whose layer is `layer` (to have one blob above the verify-before-sending size). */
async function pushWithLayer(url: string, repository: string, tag: string, layer: Buffer) {
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, tag });
  const configDigest = await uploadBlob(url, repository, config);
  const layerDigest = await uploadBlob(url, repository, layer);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: Buffer.byteLength(config) },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
  });
  await putManifest(url, repository, tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
  return { layerDigest, manifest };
}

test('backup during pushes, restore elsewhere, pull back byte for byte; incremental; verify and repair a corrupt blob', async () => {
  const source = await startTestServer({ 'auth.mode': 'none' });
  const backupDir = mkdtempSync(join(tmpdir(), 'lazaret-backup-'));
  const restoredDir = mkdtempSync(join(tmpdir(), 'lazaret-restored-'));
  rmSync(restoredDir, { recursive: true });
  const big = randomBytes(1536 * 1024);
  const during: PushedImage[] = [];
  const before: PushedImage[] = [];
  try {
    for (let i = 0; i < 3; i++) before.push(await pushImage(source.url, `bk/app${i}`, { seed: `before-${i}`, tag: 'v1' }));
    const bigImage = await pushWithLayer(source.url, 'bk/big', 'v1', big);
    assert.equal(bigImage.layerDigest, `sha256:${sha(big)}`);

    // A stream of pushes running while the backup is taken.
    let stop = false;
    const pushing = (async () => {
      for (let i = 0; !stop && i < 40; i++) during.push(await pushImage(source.url, 'bk/stream', { seed: `during-${i}`, tag: `t${i}` }));
    })();
    const first = await cli(['backup', backupDir, '--json'], { LAZARET_DATA_DIR: source.dataDir });
    stop = true;
    await pushing;
    assert.equal(first.code, 0, first.stderr);
    const r1 = JSON.parse(first.stdout);
    assert.equal(r1.database, 'sqlite');
    assert.equal(r1.copied, r1.blobs, 'a first backup copies every referenced blob');
    assert.deepEqual([r1.missing, r1.corrupt], [[], []]);

    // Incremental: a second backup copies only what was pushed since.
    await pushImage(source.url, 'bk/later', { seed: 'later', tag: 'v1' });
    const second = JSON.parse((await cli(['backup', backupDir, '--json'], { LAZARET_DATA_DIR: source.dataDir })).stdout);
    assert.ok(second.alreadyThere >= r1.blobs, 'blobs already in the backup are not copied again');
    assert.equal(second.copied, second.blobs - second.alreadyThere);
    assert.ok(second.copied >= 3, 'the later image (config, layer, manifest) was copied');
  } finally {
    await source.close();
  }

  // Restore refuses a non-empty data directory, then restores into an empty one.
  const occupied = mkdtempSync(join(tmpdir(), 'lazaret-occupied-'));
  writeFileSync(join(occupied, 'something'), 'x');
  const refused = await cli(['restore', backupDir], { LAZARET_DATA_DIR: occupied });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /not empty/);
  rmSync(occupied, { recursive: true, force: true });
  const restored = await cli(['restore', backupDir, '--json'], { LAZARET_DATA_DIR: restoredDir });
  assert.equal(restored.code, 0, restored.stderr);

  const target = await startTestServer({ 'auth.mode': 'none' }, { dataDir: restoredDir });
  try {
    const u = target.url;
    const catalog = ((await (await request(`${u}/v2/_catalog`)).body.json()) as { repositories: string[] }).repositories;
    for (const r of ['bk/app0', 'bk/app1', 'bk/app2', 'bk/big', 'bk/later']) assert.ok(catalog.includes(r), `${r} restored`);
    // Every image in the backup pulls back byte for byte (manifest and each blob).
    const tags = ((await (await request(`${u}/v2/bk/stream/tags/list`)).body.json()) as { tags?: string[] }).tags ?? [];
    const images = [...(await Promise.all([0, 1, 2].map(async (i) => ({ repo: `bk/app${i}`, tag: 'v1' })))), ...tags.map((tag) => ({ repo: 'bk/stream', tag }))];
    for (const { repo, tag } of images) {
      const m = await get(`${u}/v2/${repo}/manifests/${tag}`);
      assert.equal(m.status, 200, `${repo}:${tag}`);
      const pushed = repo === 'bk/stream' ? during[Number(tag.slice(1))] : before[Number(repo.slice(-1))];
      assert.equal(`sha256:${sha(m.body)}`, pushed!.digest, 'the manifest, byte for byte');
      const manifest = JSON.parse(m.body.toString('utf8'));
      for (const d of [manifest.config, ...manifest.layers]) {
        const b = await get(`${u}/v2/${repo}/blobs/${d.digest}`);
        assert.equal(b.status, 200);
        assert.equal(`sha256:${sha(b.body)}`, d.digest, 'byte for byte');
        assert.equal(b.body.length, d.size);
      }
    }
    assert.ok(images.length >= 3);

    // Corrupt a small and a large blob on disk, same size, different bytes.
    const small = JSON.parse((await get(`${u}/v2/bk/app1/manifests/v1`)).body.toString('utf8')).layers[0].digest as string;
    const bigDigest = `sha256:${sha(big)}`;
    for (const d of [small, bigDigest]) {
      const file = blobFile(restoredDir, d);
      writeFileSync(file, randomBytes(statSync(file).size));
    }
    const smallGet = await get(`${u}/v2/bk/app1/blobs/${small}`);
    assert.equal(smallGet.status, 500, 'a small corrupt blob is refused before any byte');
    assert.match(smallGet.body.toString('utf8'), /integrity check/);
    const bigGet = await request(`${u}/v2/bk/big/blobs/${bigDigest}`);
    assert.equal(bigGet.statusCode, 200);
    await assert.rejects(bigGet.body.arrayBuffer(), 'a large corrupt blob is cut short, never delivered whole');

    const env = { LAZARET_DATA_DIR: restoredDir };
    const found = await cli(['verify', '--json'], env);
    assert.equal(found.code, 1);
    const report = JSON.parse(found.stdout);
    assert.deepEqual(report.corrupt.map((c: { digest: string }) => c.digest).sort(), [small, bigDigest].sort());
    assert.deepEqual(report.missing, []);
    const table = await cli(['verify'], env);
    assert.match(table.stdout, new RegExp(`corrupt\\s+${small}`));

    const repaired = JSON.parse((await cli(['verify', '--repair', '--json'], env)).stdout);
    assert.deepEqual(repaired.repaired.sort(), [small, bigDigest].sort());
    assert.deepEqual(repaired.unlinked, [small, bigDigest].sort());
    assert.equal((await get(`${u}/v2/bk/app1/blobs/${small}`)).status, 404, 'a removed blob reads as absent');
    // A HEAD (answered from the links) says so too, so a client re-pushing does upload it.
    assert.equal((await request(`${u}/v2/bk/big/blobs/${bigDigest}`, { method: 'HEAD' })).statusCode, 404);
    await pushImage(u, 'bk/app1', { seed: 'before-1', tag: 'v1' });
    const again = await get(`${u}/v2/bk/app1/blobs/${small}`);
    assert.equal(again.status, 200);
    assert.equal(`sha256:${sha(again.body)}`, small);
    const after = JSON.parse((await cli(['verify', '--json'], env)).stdout);
    assert.deepEqual(after.corrupt, []);
    assert.deepEqual(after.missing, [], 'the unlinked big blob is no longer referenced');
  } finally {
    await target.close();
    rmSync(backupDir, { recursive: true, force: true });
    rmSync(restoredDir, { recursive: true, force: true });
  }
});
