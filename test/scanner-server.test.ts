/**
 * End to end with real processes: `lazaret scanner serve` as a child process, a real registry
 * in token mode, images pushed over HTTP, and the real feed database imported with
 * `lazaret scanner db import` WHILE the scanner runs. Before the import the scanner says it has
 * no database and fails vulnerability scans closed (SBOMs still served); after it, without a
 * restart, the same manifests get the advisories the fixture feeds hold for their packages.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { adminAuth, startTokenServer } from './helpers/identities.ts';
import { createRegistryClient, type RegistryClient } from './helpers/registry-client.ts';
import { KNOWN_VULNERABLE, writeFeeds } from './helpers/scan-feeds.ts';
import { alpineImage, appImage, cleanImage, debianImage, pushScanImage, type ScanImage } from './helpers/scan-images.ts';
import type { TestServer } from './helpers/server.ts';

const BIN = fileURLToPath(new URL('../bin/lazaret.js', import.meta.url));
const VULN = 'application/vnd.security.vulnerability.report; version=1.1';
const SBOM = 'application/vnd.security.sbom.report+json; version=1.0';

async function startScannerProcess(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'scanner', 'serve'], {
    env: { ...process.env, LAZARET_SCANNER_LISTEN: '127.0.0.1:0', LAZARET_SCANNER_DATA_DIR: dataDir, LAZARET_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`scanner did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (c) => (out += c));
    child.once('exit', (code) => reject(new Error(`scanner exited ${code}: ${out}`)));
  });
  return { child, url };
}

describe('lazaret scanner serve end to end, with the database imported while it runs', () => {
  let registry: TestServer;
  let client: RegistryClient;
  let scanner: { child: ChildProcess; url: string };
  let dir: string;
  const images: Record<string, ScanImage> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lazaret-scanner-e2e-'));
    registry = await startTokenServer();
    client = createRegistryClient(registry.url, { authorization: adminAuth() });
    images.debian = await debianImage();
    images.alpine = await alpineImage();
    images.app = await appImage();
    images.clean = await cleanImage();
    for (const [name, image] of Object.entries(images)) await pushScanImage(client, `e2e/${name}`, 'v1', image);
    scanner = await startScannerProcess(join(dir, 'scanner'));
  });
  after(async () => {
    scanner?.child.kill('SIGKILL');
    await client?.close();
    await registry?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function scan(name: string): Promise<string> {
    const res = await fetch(`${scanner.url}/api/v1/scan`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.scanner.adapter.scan.request+json; version=1.0' },
      body: JSON.stringify({
        registry: { url: registry.url, authorization: adminAuth() },
        artifact: { repository: `e2e/${name}`, digest: images[name].digest, mime_type: images[name].mediaType },
        enabled_capabilities: [
          { type: 'vulnerability', produces_mime_types: [VULN] },
          { type: 'sbom', produces_mime_types: [SBOM], parameters: { sbom_media_types: ['application/vnd.cyclonedx+json'] } },
        ],
      }),
    });
    assert.equal(res.status, 202);
    return ((await res.json()) as { id: string }).id;
  }

  async function report(id: string, accept: string): Promise<Response> {
    for (let i = 0; i < 600; i++) {
      const res = await fetch(`${scanner.url}/api/v1/scan/${id}/report`, { headers: { accept }, redirect: 'manual' });
      if (res.status !== 302) return res;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`scan ${id} never finished`);
  }

  const metadata = async () => (await (await fetch(`${scanner.url}/api/v1/metadata`)).json()) as { properties: Record<string, string> };

  test('no database: health says so, the vulnerability report fails closed, the SBOM is served', async () => {
    const meta = await metadata();
    assert.equal(meta.properties['lazaret.scanner/vulnerability-database-loaded'], 'false');
    const id = await scan('debian');
    const v = await report(id, VULN);
    assert.equal(v.status, 500);
    assert.equal(v.headers.get('content-type'), 'application/vnd.scanner.adapter.error; version=1.0');
    assert.match(((await v.json()) as { error: { message: string } }).error.message, /^NO_DATABASE/);
    const s = await report(id, SBOM);
    assert.equal(s.status, 200);
    const names = ((await s.json()) as { sbom: { components: { name: string }[] } }).sbom.components.map((c) => c.name);
    assert.ok(names.includes('libssl3'), names.join(' '));
  });

  test('`lazaret scanner db import` while the scanner runs: the next scans use it, no restart', async () => {
    const feeds = await writeFeeds(join(dir, 'feeds'));
    const imported = spawnSync(process.execPath, [BIN, 'scanner', 'db', 'import', '--data-dir', join(dir, 'scanner'), ...feeds.all], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(imported.status, 0, imported.stderr);
    const meta = await metadata();
    assert.equal(meta.properties['lazaret.scanner/vulnerability-database-loaded'], 'true');
    assert.ok(!Number.isNaN(Date.parse(meta.properties['harbor.scanner-adapter/vulnerability-database-updated-at'])));

    for (const name of ['debian', 'alpine', 'app']) {
      const res = await report(await scan(name), VULN);
      assert.equal(res.status, 200, await res.clone().text());
      const body = (await res.json()) as { severity?: string; vulnerabilities?: { id: string; package: string; version: string; fix_version?: string; layer: { digest: string } }[] };
      const found = new Set((body.vulnerabilities ?? []).map((v) => `${v.package}@${v.version} ${v.id} fix=${v.fix_version ?? '-'}`));
      let expected = 0;
      for (const known of KNOWN_VULNERABLE) {
        const carried = images[name].packages.find((p) => p.ecosystem === known.ecosystem && p.name === known.name && p.version === known.version);
        if (!carried) continue;
        for (const a of known.advisories) {
          expected++;
          const line = `${known.name}@${known.version} ${a.id} fix=${a.fixedVersion ?? '-'}`;
          assert.ok(found.has(line), `${name}: expected ${line}; got ${[...found].join('; ')}`);
        }
      }
      assert.ok(expected > 0, `${name} carries a known-vulnerable package`);
      const layers = new Set(images[name].layers.map((l) => l.digest));
      for (const v of body.vulnerabilities ?? []) assert.ok(layers.has(v.layer.digest));
    }
    // openssl (the binary) shares libssl3's source package: the same Debian advisories apply.
    const debian = (await (await report(await scan('debian'), VULN)).json()) as { vulnerabilities: { id: string; package: string }[] };
    assert.ok(debian.vulnerabilities.some((v) => v.package === 'openssl' && v.id === 'CVE-2023-5363'));

    const clean = (await (await report(await scan('clean'), VULN)).json()) as Record<string, unknown>;
    assert.equal('vulnerabilities' in clean, false, JSON.stringify(clean));
    assert.equal('severity' in clean, false);
  });
});
