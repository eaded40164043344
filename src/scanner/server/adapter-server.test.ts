/**
 * The scanner server over real HTTP, scanning images pushed to a real registry in token mode.
 * The vulnerability database here is a small in-test implementation of the VulnDatabase
 * contract (exact version lists), enough to check the report shaping; the feed database's own
 * matching is tested in src/scanner/vulndb.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { adminAuth, startTokenServer } from '../../../test/helpers/identities.ts';
import { createRegistryClient, type RegistryClient } from '../../../test/helpers/registry-client.ts';
import { alpineImage, cleanImage, debianImage, pushScanImage, type ScanImage } from '../../../test/helpers/scan-images.ts';
import type { TestServer } from '../../../test/helpers/server.ts';
import { SCANNER_MIME } from '../report/mime-types.ts';
import type { Finding, Inventory, VulnDatabase } from '../types.ts';
import { noDatabase } from './no-database.ts';
import { startScannerServer, type ScannerServer } from './scanner-server.ts';
import { scannerConfigFromEnv } from './server-config.ts';

/** Advisories as exact (ecosystem, source-or-name, version) lists. */
function listDatabase(advisories: { id: string; ecosystem: string; name: string; versions: string[]; fixed?: string; severity: Finding['severity'] }[]): VulnDatabase {
  return {
    status: () => ({ loaded: true, builtAt: '2026-11-30T06:12:00Z', importedAt: '2026-12-01T08:00:00Z', sources: ['test'], advisories: advisories.length }),
    match(inventory: Inventory) {
      const out: Finding[] = [];
      for (const p of inventory.packages) {
        for (const a of advisories) {
          if (a.ecosystem === p.ecosystem && a.name === (p.sourceName ?? p.name) && a.versions.includes(p.version)) {
            out.push({ id: a.id, package: p.name, ecosystem: p.ecosystem, installedVersion: p.version, ...(a.fixed ? { fixedVersion: a.fixed } : {}), severity: a.severity, links: [`https://example.invalid/${a.id}`], layerDigest: p.layerDigest });
          }
        }
      }
      return out;
    },
    generation: () => 1,
    close: () => undefined,
  };
}

const ADVISORIES = [{ id: 'CVE-TEST-0001', ecosystem: 'dpkg', name: 'openssl', versions: ['3.0.11-1~deb12u1'], fixed: '3.0.11-1~deb12u2', severity: 'High' as const }];

async function startScanner(database: VulnDatabase, env: Record<string, string> = {}): Promise<{ scanner: ScannerServer; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-scanner-'));
  const config = scannerConfigFromEnv({ LAZARET_SCANNER_LISTEN: '127.0.0.1:0', LAZARET_SCANNER_DATA_DIR: dir, ...env });
  const scanner = await startScannerServer({ config, openDatabase: () => database, log: pino({ level: 'silent' }) });
  return { scanner, dir };
}

const scanBody = (registryUrl: string, repository: string, image: ScanImage, extra: Record<string, unknown> = {}) => ({
  registry: { url: registryUrl, authorization: adminAuth() },
  artifact: { repository, digest: image.digest, tag: 'x', mime_type: image.mediaType },
  enabled_capabilities: [
    { type: 'vulnerability', produces_mime_types: [SCANNER_MIME.vulnerabilityReport] },
    { type: 'sbom', produces_mime_types: [SCANNER_MIME.sbomReport], parameters: { sbom_media_types: ['application/spdx+json', 'application/vnd.cyclonedx+json'] } },
  ],
  ...extra,
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/api/v1/scan`, { method: 'POST', headers: { 'content-type': SCANNER_MIME.scanRequest, accept: SCANNER_MIME.scanResponse, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** Polls the report as Harbor does (302 + Refresh-After until ready); bounded. */
async function report(url: string, id: string, accept: string, query = '', headers: Record<string, string> = {}): Promise<Response> {
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${url}/api/v1/scan/${id}/report${query}`, { headers: { accept, ...headers }, redirect: 'manual' });
    if (res.status !== 302) return res;
    assert.match(res.headers.get('refresh-after') ?? '', /^\d+$/);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('scan never finished');
}

describe('scanner server: Harbor adapter API', () => {
  let registry: TestServer;
  let client: RegistryClient;
  let scanner: ScannerServer;
  let dir: string;
  let debian: ScanImage;
  let clean: ScanImage;
  before(async () => {
    registry = await startTokenServer();
    client = createRegistryClient(registry.url, { authorization: adminAuth() });
    debian = await debianImage();
    clean = await cleanImage();
    await pushScanImage(client, 'team/debian', '12', debian);
    await pushScanImage(client, 'team/clean', '1', clean);
    ({ scanner, dir } = await startScanner(listDatabase(ADVISORIES)));
  });
  after(async () => {
    await scanner?.close();
    await client?.close();
    await registry?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('GET /metadata: capabilities with exact MIME strings, database properties and health', async () => {
    const res = await fetch(`${scanner.url}/api/v1/metadata`, { headers: { accept: SCANNER_MIME.metadata } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.scanner.adapter.metadata+json; version=1.0');
    const body = await res.json();
    assert.ok(body.scanner.name && body.scanner.vendor && body.scanner.version);
    const vuln = body.capabilities.find((c: { type: string }) => c.type === 'vulnerability');
    assert.deepEqual(vuln.produces_mime_types, ['application/vnd.security.vulnerability.report; version=1.1']);
    assert.ok(vuln.consumes_mime_types.includes('application/vnd.docker.distribution.manifest.v2+json'));
    const sbom = body.capabilities.find((c: { type: string }) => c.type === 'sbom');
    assert.deepEqual(sbom.produces_mime_types, ['application/vnd.security.sbom.report+json; version=1.0']);
    assert.deepEqual(sbom.additional_attributes.sbom_media_types, ['application/spdx+json', 'application/vnd.cyclonedx+json']);
    assert.equal(body.properties['harbor.scanner-adapter/vulnerability-database-updated-at'], '2026-11-30T06:12:00Z');
    assert.equal(body.properties['lazaret.scanner/vulnerability-database-loaded'], 'true');
  });

  test('a vulnerable Debian image: 202, 302 with Refresh-After, then the report 1.1 with the finding and its layer', async () => {
    const res = await post(scanner.url, scanBody(registry.url, 'team/debian', debian));
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('content-type'), SCANNER_MIME.scanResponse);
    const { id } = await res.json();
    assert.equal(typeof id, 'string');
    const r = await report(scanner.url, id, SCANNER_MIME.vulnerabilityReport);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/vnd.security.vulnerability.report; version=1.1');
    const body = await r.json();
    assert.deepEqual(body.artifact, { repository: 'team/debian', digest: debian.digest, mime_type: debian.mediaType });
    assert.equal(body.severity, 'High');
    const ids = body.vulnerabilities.map((v: { package: string; id: string }) => `${v.package}:${v.id}`).sort();
    assert.deepEqual(ids, ['libssl3:CVE-TEST-0001', 'openssl:CVE-TEST-0001'], 'both binaries of source openssl');
    const v = body.vulnerabilities.find((x: { package: string }) => x.package === 'openssl');
    assert.equal(v.version, '3.0.11-1~deb12u1');
    assert.equal(v.fix_version, '3.0.11-1~deb12u2');
    assert.equal(v.status, 'fixed');
    assert.deepEqual(v.layer, { digest: debian.layers[1].digest, diff_id: debian.layers[1].diffId });
    assert.ok(!Number.isNaN(Date.parse(body.generated_at)));

    // `*/*` and an empty Accept give the first enabled capability's report.
    assert.equal((await report(scanner.url, id, '*/*')).headers.get('content-type'), SCANNER_MIME.vulnerabilityReport);

    const spdx = await report(scanner.url, id, SCANNER_MIME.sbomReport, '?sbom_media_type=application%2Fspdx%2Bjson');
    assert.equal(spdx.status, 200);
    assert.equal(spdx.headers.get('content-type'), 'application/vnd.security.sbom.report+json; version=1.0');
    const s = await spdx.json();
    assert.equal(s.media_type, 'application/spdx+json');
    assert.equal(s.sbom.spdxVersion, 'SPDX-2.3');
    const purls = s.sbom.packages.flatMap((p: { externalRefs?: { referenceLocator: string }[] }) => (p.externalRefs ?? []).map((r) => r.referenceLocator));
    assert.ok(purls.includes('pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64&distro=debian-12'), purls.join(' '));

    const cdx = await (await report(scanner.url, id, SCANNER_MIME.sbomReport, '?sbom_media_type=application%2Fvnd.cyclonedx%2Bjson')).json();
    assert.equal(cdx.media_type, 'application/vnd.cyclonedx+json');
    assert.equal(cdx.sbom.specVersion, '1.5');
    assert.deepEqual(cdx.sbom.components.filter((c: { type: string }) => c.type === 'library').map((c: { name: string }) => c.name).sort(), ['base-files', 'libssl3', 'openssl', 'zlib1g']);
  });

  test('a clean image: severity and vulnerabilities omitted', async () => {
    const { id } = await (await post(scanner.url, scanBody(registry.url, 'team/clean', clean))).json();
    const body = await (await report(scanner.url, id, SCANNER_MIME.vulnerabilityReport)).json();
    assert.equal('severity' in body, false);
    assert.equal('vulnerabilities' in body, false);
    assert.equal(body.artifact.digest, clean.digest);
  });

  test('report errors: other Accept 501, unknown id 404, failed scan 500 with the error MIME type and reason', async () => {
    const { id } = await (await post(scanner.url, scanBody(registry.url, 'team/clean', clean))).json();
    const other = await fetch(`${scanner.url}/api/v1/scan/${id}/report`, { headers: { accept: SCANNER_MIME.harborVulnReport } });
    assert.equal(other.status, 501);
    assert.equal(other.headers.get('content-type'), SCANNER_MIME.error);
    const unknown = await fetch(`${scanner.url}/api/v1/scan/${crypto.randomUUID()}/report`, { headers: { accept: SCANNER_MIME.vulnerabilityReport } });
    assert.equal(unknown.status, 404);
    assert.equal(typeof (await unknown.json()).error.message, 'string');
    const missing = { ...debian, digest: `sha256:${'0'.repeat(64)}` };
    const failed = await (await post(scanner.url, scanBody(registry.url, 'team/debian', missing))).json();
    const r = await report(scanner.url, failed.id, SCANNER_MIME.vulnerabilityReport);
    assert.equal(r.status, 500);
    assert.equal(r.headers.get('content-type'), 'application/vnd.scanner.adapter.error; version=1.0');
    assert.match((await r.json()).error.message, /^REGISTRY_ERROR: .*404/);
  });

  test('POST /scan validation: 400 for bad JSON and a capability without produces_mime_types, 422 for the rest', async () => {
    const base = scanBody(registry.url, 'team/debian', debian);
    const cases: [unknown, number, RegExp][] = [
      ['{not json', 400, /JSON/],
      [{ ...base, enabled_capabilities: [{ type: 'vulnerability' }] }, 400, /produces_mime_types/],
      [{ ...base, registry: {} }, 422, /registry\.url/],
      [{ ...base, registry: { url: 'ftp://x' } }, 422, /registry\.url/],
      [{ ...base, artifact: { digest: debian.digest } }, 422, /repository/],
      [{ ...base, artifact: { repository: 'team/debian' } }, 422, /digest/],
      [{ ...base, artifact: { repository: 'team/debian', digest: 'sha256:nothex' } }, 422, /digest/],
      [{ ...base, enabled_capabilities: [{ type: 'malware', produces_mime_types: ['x'] }] }, 422, /unknown capability/],
      [{ ...base, enabled_capabilities: [{ type: 'sbom', produces_mime_types: [SCANNER_MIME.sbomReport] }] }, 422, /sbom_media_types/],
      [{ ...base, enabled_capabilities: [{ type: 'sbom', produces_mime_types: [SCANNER_MIME.sbomReport], parameters: { sbom_media_types: ['text/plain'] } }] }, 422, /sbom_media_type/],
      [{ ...base, enabled_capabilities: [{ type: 'vulnerability', produces_mime_types: ['application/vnd.security.vulnerability.report;version=1.1'] }] }, 422, /produces_mime_types/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(scanner.url, body);
      assert.equal(res.status, status, JSON.stringify(body).slice(0, 200));
      assert.equal(res.headers.get('content-type'), SCANNER_MIME.error);
      assert.match((await res.json()).error.message, message);
    }
    // No capabilities means vulnerability 1.1.
    const { id } = await (await post(scanner.url, { ...base, enabled_capabilities: [] })).json();
    assert.equal((await report(scanner.url, id, '')).headers.get('content-type'), SCANNER_MIME.vulnerabilityReport);
  });
});

describe('scanner server without a database, with an API key', () => {
  let registry: TestServer;
  let client: RegistryClient;
  let scanner: ScannerServer;
  let dir: string;
  before(async () => {
    registry = await startTokenServer();
    client = createRegistryClient(registry.url, { authorization: adminAuth() });
    ({ scanner, dir } = await startScanner(noDatabase(), { LAZARET_SCANNER_API_KEY: 'k3y-for-tests' }));
  });
  after(async () => {
    await scanner?.close();
    await client?.close();
    await registry?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('health says no database; the vulnerability scan fails closed with NO_DATABASE; SBOMs are still produced', async () => {
    const key = { 'x-scanneradapter-api-key': 'k3y-for-tests' };
    const meta = await (await fetch(`${scanner.url}/api/v1/metadata`, { headers: key })).json();
    assert.equal(meta.properties['lazaret.scanner/vulnerability-database-loaded'], 'false');
    assert.match(meta.properties['lazaret.scanner/health'], /no vulnerability database/);
    assert.equal('harbor.scanner-adapter/vulnerability-database-updated-at' in meta.properties, false);
    assert.equal((await fetch(`${scanner.url}/probe/ready`)).status, 503);

    const alpine = await alpineImage();
    await pushScanImage(client, 'team/alpine', '1', alpine);
    const { id } = await (await post(scanner.url, scanBody(registry.url, 'team/alpine', alpine), key)).json();
    const v = await report(scanner.url, id, SCANNER_MIME.vulnerabilityReport, '', key);
    assert.equal(v.status, 500);
    assert.match((await v.json()).error.message, /^NO_DATABASE/);
    const s = await report(scanner.url, id, SCANNER_MIME.sbomReport, '?sbom_media_type=application%2Fvnd.cyclonedx%2Bjson', key);
    assert.equal(s.status, 200);
    const names = (await s.json()).sbom.components.filter((c: { type: string }) => c.type === 'library').map((c: { name: string }) => c.name).sort();
    assert.deepEqual(names, ['busybox', 'libcrypto3', 'libssl3', 'musl']);
  });

  test('the API key is required: none or a wrong one is 401 in the error format', async () => {
    const attempts: Record<string, string>[] = [{}, { 'x-scanneradapter-api-key': 'wrong' }, { authorization: 'Bearer k3y-for-tests' }];
    for (const headers of attempts) {
      const res = await fetch(`${scanner.url}/api/v1/metadata`, { headers });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('content-type'), SCANNER_MIME.error);
    }
  });
});
