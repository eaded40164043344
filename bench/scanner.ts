/**
 * `npm run bench:scanner`: the built-in scanner (`lazaret scanner serve`, a child process).
 *   1. Peak RSS (VmHWM) while scanning an image whose one layer holds a 1 GiB file: the gzip
 *      layer is generated on the fly from a seeded AES-CTR stream (deterministic, so it is made
 *      twice: once to learn its digest, once while served) by a minimal /v2 endpoint in this
 *      process that serves exactly that image, so nothing of 1 GiB is ever stored.
 *   2. Throughput: N small test images pushed to a real Lazaret registry, scanned cold, then
 *      scanned again (stored inventories: manifest checked, layers not read again).
 *   3. Push to verdict: the real `lazaret serve` with the quarantine policy on and its built-in
 *      scanner (the fixture feeds imported), default scanner settings; images with one
 *      incompressible layer of --push-mib MiB (default 50) pushed over HTTP; the time from the
 *      manifest PUT (and from the first blob upload) until the verdict is set.
 * Options: --layer-mib N (default 1024), --images N (default 20), --push-mib N (50), --rounds N (5),
 * --only big|throughput|latency, --default-flags (the scanner without SCANNER_NODE_FLAGS).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { createRegistryClient } from '../test/helpers/registry-client.ts';
import { debianImage, dpkgStanza, imageOf, layerOf, pushScanImage } from '../test/helpers/scan-images.ts';
import { writeFeeds } from '../test/helpers/scan-feeds.ts';
import { spawnServer } from '../test/helpers/spawn-server.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { SCANNER_NODE_FLAGS } from '../src/scan/builtin-scanner.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const LAYER_MIB = arg('layer-mib', 1024);
const IMAGES = arg('images', 20);
const MiB = 1024 * 1024;
const SBOM = 'application/vnd.security.sbom.report+json; version=1.0';

/** A tar stream: a dpkg status, then one file of `size` pseudo-random bytes (AES-CTR of zeros). */
function bigLayerTar(size: number): Readable {
  const p = pack();
  void (async () => {
    p.entry({ name: 'var/lib/dpkg/status', mtime: new Date(0) }, dpkgStanza({ name: 'openssl', version: '3.0.11-1~deb12u1' }));
    const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
    const entry = p.entry({ name: 'opt/big.bin', size, mtime: new Date(0) }, (err) => (err ? p.destroy(err) : p.finalize()));
    const zeros = Buffer.alloc(MiB);
    for (let left = size; left > 0; left -= MiB) {
      const chunk = cipher.update(zeros.subarray(0, Math.min(MiB, left)));
      if (!entry.write(chunk)) await new Promise<void>((r) => entry.once('drain', () => r()));
    }
    entry.end(undefined);
  })();
  return p as unknown as Readable;
}

function bigLayer(size: number): Readable {
  return bigLayerTar(size).pipe(createGzip({ level: 1 }));
}

async function digestOfStream(s: Readable): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of s) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { digest: `sha256:${h.digest('hex')}`, size };
}

function vmHwmMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startScanner(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  // As `lazaret serve` starts its built-in scanner (SCANNER_NODE_FLAGS), unless --default-flags.
  const flags = process.argv.includes('--default-flags') ? [] : SCANNER_NODE_FLAGS;
  const child = spawn(process.execPath, [...flags, 'bin/lazaret.js', 'scanner', 'serve'], {
    env: { ...process.env, LAZARET_SCANNER_LISTEN: '127.0.0.1:0', LAZARET_SCANNER_DATA_DIR: dataDir, LAZARET_LOG_LEVEL: 'warn', LAZARET_SCANNER_CONCURRENCY: '2' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`scanner exited ${code}`)));
  });
  return { child, url };
}

async function scan(scannerUrl: string, registryUrl: string, repository: string, digest: string, authorization?: string): Promise<number> {
  const res = await fetch(`${scannerUrl}/api/v1/scan`, {
    method: 'POST',
    body: JSON.stringify({
      registry: { url: registryUrl, ...(authorization ? { authorization } : {}) },
      artifact: { repository, digest, mime_type: 'application/vnd.oci.image.manifest.v1+json' },
      enabled_capabilities: [{ type: 'sbom', produces_mime_types: [SBOM], parameters: { sbom_media_types: ['application/spdx+json'] } }],
    }),
  });
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const r = await fetch(`${scannerUrl}/api/v1/scan/${id}/report`, { headers: { accept: SBOM }, redirect: 'manual' });
    if (r.status === 200) return ((await r.json()) as { sbom: { packages: unknown[] } }).sbom.packages.length;
    if (r.status !== 302) throw new Error(`scan ${id}: ${r.status} ${await r.text()}`);
    await new Promise((s) => setTimeout(s, 100));
  }
}

async function bigLayerRun(): Promise<void> {
  const size = LAYER_MIB * MiB;
  console.log(`scanner bench: generating the ${LAYER_MIB} MiB layer once to learn its digest...`);
  const layer = await digestOfStream(bigLayer(size));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }] }));
  const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  const server: Server = createServer((req, res) => {
    if (req.url === `/v2/bench/big/manifests/${manifestDigest}`) return res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest);
    if (req.url === `/v2/bench/big/blobs/${configDigest}`) return res.writeHead(200).end(config);
    if (req.url === `/v2/bench/big/blobs/${layer.digest}`) {
      res.writeHead(200, { 'content-length': layer.size });
      return bigLayer(size).pipe(res);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-scanner-bench-'));
  const { child, url } = await startScanner(dir);
  const idle = vmHwmMiB(child.pid!);
  const started = Date.now();
  const packages = await scan(url, `http://127.0.0.1:${port}`, 'bench/big', manifestDigest);
  const seconds = (Date.now() - started) / 1000;
  const peak = vmHwmMiB(child.pid!);
  console.log(`scanner bench: ${LAYER_MIB} MiB layer (${(layer.size / MiB).toFixed(0)} MiB gzip) scanned in ${seconds.toFixed(1)} s (${(LAYER_MIB / seconds).toFixed(0)} MiB/s uncompressed), ${packages} SBOM packages`);
  console.log(`scanner bench: scanner peak RSS ${peak.toFixed(0)} MiB (after start ${idle.toFixed(0)} MiB; target < 150 MiB)`);
  child.kill('SIGTERM');
  server.close();
  rmSync(dir, { recursive: true, force: true });
}

async function throughputRun(): Promise<void> {
  const registry = await startTestServer({ 'auth.mode': 'none' });
  const client = createRegistryClient(registry.url);
  const digests: string[] = [];
  for (let i = 0; i < IMAGES; i++) digests.push(await pushScanImage(client, `bench/debian-${i}`, '1', await debianImage()));
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-scanner-bench-'));
  const { child, url } = await startScanner(dir);
  for (const label of ['cold', 'stored inventories']) {
    const started = Date.now();
    await Promise.all(digests.map((d, i) => scan(url, registry.url, `bench/debian-${i}`, d)));
    const seconds = (Date.now() - started) / 1000;
    console.log(`scanner bench: ${IMAGES} Debian test images, ${label}: ${seconds.toFixed(2)} s = ${((IMAGES / seconds) * 60).toFixed(0)} images/min`);
  }
  child.kill('SIGTERM');
  await client.close();
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
}

async function latencyRun(): Promise<void> {
  const size = arg('push-mib', 50) * MiB;
  const rounds = arg('rounds', 5);
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-scanner-latency-'));
  const feeds = await writeFeeds(join(dir, 'feeds'));
  const imported = spawnSync(process.execPath, ['bin/lazaret.js', 'scanner', 'db', 'import', '--data-dir', join(dir, 'data', 'scanner'), ...feeds.all], { encoding: 'utf8' });
  if (imported.status !== 0) throw new Error(`db import failed: ${imported.stderr}`);
  const password = 'bench-latency-admin';
  const server = await spawnServer({ LAZARET_DATA_DIR: join(dir, 'data'), LAZARET_ADMIN_PASSWORD: password, LAZARET_SCANNER_BUILTIN: 'true' }, 90_000);
  const authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, { method, headers: { authorization, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) }).then((r) => r.json() as Promise<any>);
  try {
    await api('PATCH', '/api/v1/policies', { quarantinePolicy: { status: 'enabled' } });
    for (let i = 0; (await api('GET', '/api/v1/scanners')).scanners?.[0]?.health?.state !== 'healthy'; i++) {
      if (i > 600) throw new Error('the built-in scanner did not become healthy');
      await new Promise((r) => setTimeout(r, 100));
    }
    const client = createRegistryClient(server.url, { authorization });
    const fromPut: number[] = [];
    const fromPush: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const random = createCipheriv('aes-128-ctr', randomBytes(16), Buffer.alloc(16, 0)).update(Buffer.alloc(size));
      const image = imageOf([await layerOf([{ path: 'var/lib/dpkg/status', content: dpkgStanza({ name: 'base-files', version: '12.4+deb12u5' }) }, { path: 'opt/data.bin', content: random }])]);
      const repository = `bench/latency-${round}`;
      const pushStarted = performance.now();
      await client.pushBlob(repository, image.config);
      for (const l of image.layers) await client.pushBlob(repository, l.data);
      const putStarted = performance.now();
      await client.pushManifest(repository, '1', image.manifestBytes, image.mediaType);
      for (;;) {
        const row = (await api('GET', `/api/v1/quarantine/queue?state=Passed,Failed&repository=${repository}`)).manifests?.[0];
        if (row) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const done = performance.now();
      fromPut.push((done - putStarted) / 1000);
      fromPush.push((done - pushStarted) / 1000);
    }
    await client.close();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(`scanner bench: push to verdict, ${size / MiB} MiB image, built-in scanner, default settings (first poll after 2 s), ${rounds} rounds:`);
    console.log(`scanner bench:   manifest PUT -> verdict: median ${median(fromPut).toFixed(2)} s (${fromPut.map((x) => x.toFixed(2)).join(', ')})`);
    console.log(`scanner bench:   first blob upload -> verdict: median ${median(fromPush).toFixed(2)} s (${fromPush.map((x) => x.toFixed(2)).join(', ')}; target < 5 s)`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
if (!only || only === 'throughput') await throughputRun();
if (!only || only === 'big') await bigLayerRun();
if (!only || only === 'latency') await latencyRun();
