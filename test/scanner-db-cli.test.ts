/**
 * `lazaret scanner db import|status|push|pull` as real processes, with the fixture feeds (real
 * formats, real advisories) and a real Lazaret server in token mode: the bundle goes up as an
 * OCI artifact through Docker token auth and comes down into another scanner's data directory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, ADMIN_USER, createUser, startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';
import { KNOWN_VULNERABLE, writeFeeds, type FeedFiles } from './helpers/scan-feeds.ts';
import { BUNDLE_ARTIFACT_TYPE, BUNDLE_LAYER_MEDIA_TYPE, openVulnDatabase } from '../src/scanner/vulndb/index.ts';
import { RegistryClient } from '../src/scanner/vulndb/bundle/registry-client.ts';
import { parseBundleReference } from '../src/scanner/vulndb/bundle/reference.ts';

const BIN = fileURLToPath(new URL('../bin/lazaret.js', import.meta.url));

function lazaret(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, LAZARET_CONFIG_HOME: join(root, 'config'), ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let root: string;

describe('lazaret scanner db', () => {
  let server: TestServer;
  let feeds: FeedFiles;
  let host: string;
  let source: string;
  let mirror: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'lazaret-scanner-db-cli-'));
    feeds = await writeFeeds(join(root, 'feeds'));
    server = await startTokenServer();
    host = new URL(server.url).host;
    source = join(root, 'scanner-a');
    mirror = join(root, 'scanner-b');
    await createUser(server, 'reader', 'reader-password', [{ role: 'AcrPull' }]);
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('import with plain progress lines, then status', async () => {
    const r = await lazaret(['scanner', 'db', 'import', ...feeds.all], { LAZARET_SCANNER_DATA_DIR: source });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /importing .*debian-tracker\.json: 1\/\d+, \d+ advisories/);
    assert.match(r.stdout, /debian-tracker\s+3/);
    assert.match(r.stdout, /osv:npm\s+4/);
    const st = await lazaret(['scanner', 'db', 'status', '-o', 'json'], { LAZARET_SCANNER_DATA_DIR: source });
    assert.equal(st.code, 0, st.stderr);
    const d = JSON.parse(st.stdout);
    assert.equal(d.loaded, true);
    assert.equal(d.generation, 1);
    assert.equal(d.advisories, 16);
    assert.equal(d.sources.length, 7);
    const table = await lazaret(['scanner', 'db', 'status', '--data-dir', source]);
    assert.match(table.stdout, /generation 1\n/);
  });

  test('a corrupt feed is refused with its file and line; the database stays', async () => {
    const bad = join(root, 'bad.json');
    writeFileSync(bad, '{"id": "GHSA-x",\n "affected": [\n}');
    const r = await lazaret(['scanner', 'db', 'import', '--data-dir', source, bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /import failed, the database in use is unchanged: .*bad\.json:3:\d+: invalid JSON/);
    const d = JSON.parse((await lazaret(['scanner', 'db', 'status', '--data-dir', source, '-o', 'json'])).stdout);
    assert.equal(d.generation, 1);
    assert.equal(d.advisories, 16);
  });

  test('push as an OCI artifact through token auth, pull into another scanner', async () => {
    const ref = `${host}/security/vulndb:2026-12-01`;
    const denied = await lazaret(['scanner', 'db', 'push', '--data-dir', source, ref, '-u', 'reader', '-p', 'reader-password']);
    assert.equal(denied.code, 1, 'a pull-only user cannot push');
    assert.match(denied.stderr, /push failed: /);

    const pushed = await lazaret(['scanner', 'db', 'push', '--data-dir', source, ref, '-o', 'json'], { LAZARET_USERNAME: ADMIN_USER, LAZARET_PASSWORD: ADMIN_PASSWORD });
    assert.equal(pushed.code, 0, pushed.stderr);
    const digest = JSON.parse(pushed.stdout).digest as string;
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);

    // What landed in the registry is an artifact of our type with one SQLite layer.
    const client = new RegistryClient(server.url, 'security/vulndb', { username: 'reader', password: 'reader-password' }, 'pull');
    const manifest = JSON.parse((await client.getManifest('2026-12-01', ['application/vnd.oci.image.manifest.v1+json'])).bytes.toString());
    assert.equal(manifest.artifactType, BUNDLE_ARTIFACT_TYPE);
    assert.equal(manifest.layers.length, 1);
    assert.equal(manifest.layers[0].mediaType, BUNDLE_LAYER_MEDIA_TYPE);
    assert.equal(manifest.config.mediaType, 'application/vnd.oci.empty.v1+json');

    // A second scanner (running) pulls it by digest with a pull-only user and uses it at once.
    const live = openVulnDatabase({ dir: mirror });
    assert.equal(live.status().loaded, false);
    const pulled = await lazaret(['scanner', 'db', 'pull', '--data-dir', mirror, `${host}/security/vulndb@${digest}`, '-u', 'reader', '-p', 'reader-password']);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(live.status().loaded, true);
    assert.equal(live.generation(), 1);
    assert.equal(live.status().advisories, 16);
    const lodash = KNOWN_VULNERABLE.find((k) => k.name === 'lodash')!;
    const findings = live.match({ packages: [{ ecosystem: 'npm', name: 'lodash', version: lodash.version, purl: 'pkg:npm/lodash@4.17.11', path: 'app/package-lock.json', layerDigest: 'sha256:' + '0'.repeat(64) }] });
    assert.deepEqual(findings.map((f) => f.id).sort(), lodash.advisories.map((a) => a.id).sort());
    const st = JSON.parse((await lazaret(['scanner', 'db', 'status', '--data-dir', mirror, '-o', 'json'])).stdout);
    assert.match(st.pulledFrom, new RegExp(`/security/vulndb@${digest}$`));

    // Pulling again bumps the generation, so a running server notices.
    assert.equal((await lazaret(['scanner', 'db', 'pull', '--data-dir', mirror, ref, '-u', 'reader', '-p', 'reader-password'])).code, 0);
    assert.equal(live.generation(), 2);

    // Importing on top of a pulled bundle keeps its data but it is no longer "pulled from" it.
    assert.equal((await lazaret(['scanner', 'db', 'import', '--data-dir', mirror, feeds.alpine320])).code, 0);
    const mixed = JSON.parse((await lazaret(['scanner', 'db', 'status', '--data-dir', mirror, '-o', 'json'])).stdout);
    assert.equal(mixed.pulledFrom, undefined);
    assert.equal(mixed.generation, 3);
    assert.equal(mixed.advisories, 16);
    live.close();
  });

  test('pull failures leave the database in use', async () => {
    const before = JSON.parse((await lazaret(['scanner', 'db', 'status', '--data-dir', mirror, '-o', 'json'])).stdout);
    const creds = ['-u', 'reader', '-p', 'reader-password'];
    const missing = await lazaret(['scanner', 'db', 'pull', '--data-dir', mirror, `${host}/security/vulndb:nope`, ...creds]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /pull failed, the database in use is unchanged: reading security\/vulndb:nope: 404 MANIFEST_UNKNOWN/);

    const wrongPassword = await lazaret(['scanner', 'db', 'pull', '--data-dir', mirror, `${host}/security/vulndb:2026-12-01`, '-u', 'reader', '-p', 'wrong']);
    assert.equal(wrongPassword.code, 1);
    assert.match(wrongPassword.stderr, /token request refused \(401\)/);

    // An artifact of another type under the same repository is refused before any download.
    const admin = new RegistryClient(server.url, 'security/vulndb', { username: ADMIN_USER, password: ADMIN_PASSWORD }, 'pull,push');
    const other = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.example.other',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 }],
    };
    await admin.pushBlob('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', { data: Buffer.from('{}') });
    await admin.putManifest('other', other.mediaType, Buffer.from(JSON.stringify(other)));
    const wrongType = await lazaret(['scanner', 'db', 'pull', '--data-dir', mirror, `${host}/security/vulndb:other`, ...creds]);
    assert.equal(wrongType.code, 1);
    assert.match(wrongType.stderr, /is not a vulnerability database bundle \(artifactType "application\/vnd\.example\.other"/);

    // A bundle whose layer is not a database is refused after the download, nothing swapped in.
    const junk = Buffer.from('not a database at all');
    const { createHash } = await import('node:crypto');
    const junkDigest = `sha256:${createHash('sha256').update(junk).digest('hex')}`;
    await admin.pushBlob(junkDigest, { data: junk });
    const fake = { ...other, artifactType: BUNDLE_ARTIFACT_TYPE, layers: [{ mediaType: BUNDLE_LAYER_MEDIA_TYPE, digest: junkDigest, size: junk.length }] };
    await admin.putManifest('junk', fake.mediaType, Buffer.from(JSON.stringify(fake)));
    const notDb = await lazaret(['scanner', 'db', 'pull', '--data-dir', mirror, `${host}/security/vulndb:junk`, ...creds]);
    assert.equal(notDb.code, 1);
    assert.match(notDb.stderr, /pull failed, the database in use is unchanged: .*(not a SQLite database|file is not a database)/);

    const bad = await lazaret(['scanner', 'db', 'pull', '--data-dir', mirror, 'no-repository', ...creds]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /expected HOST\[:PORT\]\/REPOSITORY/);

    const after = JSON.parse((await lazaret(['scanner', 'db', 'status', '--data-dir', mirror, '-o', 'json'])).stdout);
    assert.deepEqual(after, before);
    assert.deepEqual(readdirSync(mirror).sort(), ['vulndb.sqlite']);
  });

  test('references: loopback is http, others https; tags and digests validated', () => {
    assert.deepEqual(parseBundleReference('127.0.0.1:5000/a/b'), { registry: 'http://127.0.0.1:5000', repository: 'a/b', reference: 'latest' });
    assert.deepEqual(parseBundleReference('registry.example/sec/db:v1'), { registry: 'https://registry.example', repository: 'sec/db', reference: 'v1' });
    assert.equal(parseBundleReference('registry.example/sec/db', { plainHttp: true }).registry, 'http://registry.example');
    assert.throws(() => parseBundleReference('host/Bad_Name'), /not a valid repository name/);
    assert.throws(() => parseBundleReference('host/db@sha256:zz'), /is not a digest/);
  });
});
