/**
 * Import and matching against real SQLite files built from the fixture feeds (real formats,
 * real advisories: test/helpers/scan-feeds.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InstalledPackage, Inventory, OsRelease } from '../types.ts';
import { FeedError, importFeeds, openVulnDatabase, rematch } from './index.ts';
import { ALPINE_3_19, CLEAN_PACKAGES, DEBIAN_12, KNOWN_VULNERABLE, debianTrackerJson, writeFeeds, writeOsvZip, type FeedFiles } from '../../../test/helpers/scan-feeds.ts';

let root: string;
let feeds: FeedFiles;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'lazaret-vulndb-'));
  feeds = await writeFeeds(join(root, 'feeds'));
});
after(() => rmSync(root, { recursive: true, force: true }));

const LAYER = 'sha256:' + 'ab'.repeat(32);

function pkg(p: { ecosystem: InstalledPackage['ecosystem']; name: string; sourceName?: string; version: string }): InstalledPackage {
  return { ecosystem: p.ecosystem, name: p.name, sourceName: p.sourceName, version: p.version, purl: `pkg:generic/${p.name}@${p.version}`, path: 'x', layerDigest: LAYER };
}

const inventory = (os: OsRelease | undefined, ...packages: InstalledPackage[]): Inventory => ({ os, packages });

async function freshDb(paths = feeds.all) {
  const dir = mkdtempSync(join(root, 'db-'));
  const result = await importFeeds({ dir, paths });
  return { dir, result, db: openVulnDatabase({ dir }) };
}

test('import: every format, sources and times recorded', async () => {
  const { db, result } = await freshDb();
  const status = db.status();
  assert.equal(status.loaded, true);
  assert.deepEqual(status.sources, ['alpine-secdb:v3.19/main', 'alpine-secdb:v3.20/main', 'debian-tracker', 'osv:Debian:12', 'osv:Go', 'osv:PyPI', 'osv:npm']);
  // 3 tracker CVEs + 4 + 1 secfixes + 1 DSA + 2 Go + 1 PyPI + 3 npm (zip) + 1 npm (JSON file)
  assert.equal(status.advisories, 16);
  assert.equal(result.generation, 1);
  assert.ok(status.builtAt && status.builtAt >= '2024-09-20T15:27:51.000Z', status.builtAt);
  assert.ok(status.importedAt && Date.parse(status.importedAt) <= Date.now());
  assert.equal(db.generation(), 1);
  db.close();
});

test('match: each known-vulnerable package yields its advisories with fixed versions', async () => {
  const { db } = await freshDb();
  for (const known of KNOWN_VULNERABLE) {
    const findings = db.match(inventory(known.os, pkg(known)));
    assert.deepEqual(findings.map((f) => f.id).sort(), known.advisories.map((a) => a.id).sort(), `${known.name} ${known.version}`);
    for (const a of known.advisories) {
      const f = findings.find((x) => x.id === a.id)!;
      assert.equal(f.fixedVersion, a.fixedVersion, `${a.id} fixed version`);
      if (a.severity) assert.equal(f.severity, a.severity, `${a.id} severity`);
      assert.equal(f.package, known.name, 'the binary package is reported');
      assert.equal(f.installedVersion, known.version);
      assert.equal(f.layerDigest, LAYER);
      assert.ok(f.links.length > 0);
    }
  }
  for (const clean of CLEAN_PACKAGES) assert.deepEqual(db.match(inventory(clean.os, pkg(clean))), [], `${clean.name} ${clean.version}`);
  db.close();
});

test('match: the same issue from two feeds is one finding; CVSS and aliases kept', async () => {
  const { db } = await freshDb();
  const debian = db.match(inventory(DEBIAN_12, pkg({ ecosystem: 'dpkg', name: 'openssl', sourceName: 'openssl', version: '3.0.11-1~deb12u1' })));
  const f5363 = debian.filter((f) => f.id === 'CVE-2023-5363');
  assert.equal(f5363.length, 1);
  assert.deepEqual(f5363[0]!.aliases, ['DSA-5532-1']);
  assert.ok(f5363[0]!.links.includes('https://security-tracker.debian.org/tracker/CVE-2023-5363'));
  assert.ok(f5363[0]!.links.includes('https://www.debian.org/security/2023/dsa-5532'));

  const go = db.match(inventory(undefined, pkg({ ecosystem: 'go', name: 'golang.org/x/net', version: 'v0.16.0' })));
  assert.equal(go.length, 1);
  assert.equal(go[0]!.id, 'CVE-2023-39325');
  assert.deepEqual(go[0]!.aliases, ['GHSA-4374-p667-p6c8', 'GO-2023-2102']);
  assert.equal(go[0]!.severity, 'High');
  assert.equal(go[0]!.cvssScore, 7.5);

  const lodash = db.match(inventory(undefined, pkg({ ecosystem: 'npm', name: 'lodash', version: '4.17.11' })));
  assert.deepEqual(lodash.map((f) => [f.id, f.severity, f.cvssScore]), [
    ['CVE-2019-10744', 'Critical', 9.1],
    ['CVE-2021-23337', 'High', 7.2],
    ['CVE-2020-28500', 'Medium', 5.3],
  ]);
  assert.equal(lodash[1]!.title, 'Command Injection in lodash');
  db.close();
});

test('match: release, branch and name rules', async () => {
  const { db } = await freshDb();
  // bullseye's openssl 1.1.1 was never affected by CVE-2023-5363 (fixed_version "0").
  const bullseye = db.match(inventory({ id: 'debian', versionId: '11', codename: 'bullseye' }, pkg({ ecosystem: 'dpkg', name: 'libssl1.1', sourceName: 'openssl', version: '1.1.1n-0+deb11u5' })));
  assert.deepEqual(bullseye.map((f) => f.id), ['CVE-2010-0928']);
  // A codename without VERSION_ID (testing images) still finds its release.
  const byCodename = db.match(inventory({ id: 'debian', codename: 'bookworm' }, pkg({ ecosystem: 'dpkg', name: 'openssl', version: '3.0.11-1~deb12u1' })));
  assert.ok(byCodename.some((f) => f.id === 'CVE-2023-5363'));
  // Debian advisories never apply to an Alpine image, and the Alpine branch comes from VERSION_ID.
  assert.deepEqual(db.match(inventory(ALPINE_3_19, pkg({ ecosystem: 'dpkg', name: 'openssl', version: '3.0.11-1~deb12u1' }))), []);
  assert.deepEqual(db.match(inventory({ id: 'alpine', versionId: '3.18.4' }, pkg({ ecosystem: 'apk', name: 'libcrypto3', sourceName: 'openssl', version: '3.1.4-r0' }))), []);
  // apk without an origin matches on the name; pypi names are normalized (PEP 503).
  assert.ok(db.match(inventory(ALPINE_3_19, pkg({ ecosystem: 'apk', name: 'openssl', version: '3.1.1-r1' }))).some((f) => f.id === 'CVE-2023-2975'));
  assert.equal(db.match(inventory(undefined, pkg({ ecosystem: 'pypi', name: 'Requests', version: '2.30.0' }))).length, 1);
  // requests before 2.3.0 was not affected (introduced 2.3.0).
  assert.deepEqual(db.match(inventory(undefined, pkg({ ecosystem: 'pypi', name: 'requests', version: '2.2.1' }))), []);
  // lodash 3.x is outside GHSA-29mw-wpgm-hmr9 (introduced 4.0.0) but in the other two.
  assert.deepEqual(db.match(inventory(undefined, pkg({ ecosystem: 'npm', name: 'lodash', version: '3.10.1' }))).map((f) => f.id).sort(), ['CVE-2019-10744', 'CVE-2021-23337']);
  // Unknown ecosystems, OS-less OS packages and unparseable versions match nothing, without throwing.
  assert.deepEqual(db.match(inventory(undefined, pkg({ ecosystem: 'rpm', name: 'openssl', version: '3.0.7-1.el9' }), pkg({ ecosystem: 'dpkg', name: 'openssl', version: '3.0.0' }))), []);
  assert.deepEqual(db.match(inventory(undefined, pkg({ ecosystem: 'npm', name: 'lodash', version: 'not-a-version' }))), []);
  db.close();
});

test('a running reader sees a new import without reopening; generations grow', async () => {
  const dir = mkdtempSync(join(root, 'live-'));
  const db = openVulnDatabase({ dir });
  assert.deepEqual(db.status(), { loaded: false, sources: [], advisories: 0 });
  assert.equal(db.generation(), 0);
  const lodash = inventory(undefined, pkg({ ecosystem: 'npm', name: 'lodash', version: '4.17.11' }));
  assert.deepEqual(db.match(lodash), []);

  await importFeeds({ dir, paths: [feeds.debianTracker] });
  assert.equal(db.generation(), 1);
  assert.deepEqual(db.status().sources, ['debian-tracker']);
  assert.deepEqual(db.match(lodash), []);

  await importFeeds({ dir, paths: [feeds.osvNpmZip] });
  assert.equal(db.generation(), 2);
  // The earlier source is kept; the new one is matched at once.
  assert.deepEqual(db.status().sources, ['debian-tracker', 'osv:npm']);
  assert.equal(db.match(lodash).length, 3);
  db.close();
});

test('re-importing a complete export replaces that source only; re-match reports the changes', async () => {
  const { dir, db } = await freshDb();
  const debianImage = inventory(DEBIAN_12, pkg({ ecosystem: 'dpkg', name: 'libssl3', sourceName: 'openssl', version: '3.0.11-1~deb12u2' }));
  const npmImage = inventory(undefined, pkg({ ecosystem: 'npm', name: 'lodash', version: '4.17.11' }));
  const stored = [
    { key: 'sha256:debian', inventory: debianImage, findings: db.match(debianImage) },
    { key: 'sha256:npm', inventory: npmImage, findings: db.match(npmImage) },
  ];
  assert.deepEqual(stored[0]!.findings.map((f) => f.id).sort(), ['CVE-2010-0928', 'CVE-2024-2511']);
  assert.deepEqual(rematch(db, stored), [], 'nothing changed yet');

  // A newer tracker export: CVE-2024-2511 gets an urgency, CVE-2010-0928 is gone.
  const tracker = debianTrackerJson();
  tracker.openssl['CVE-2024-2511'].releases.bookworm.urgency = 'low';
  delete (tracker.openssl as Record<string, unknown>)['CVE-2010-0928'];
  const file = join(root, 'tracker-newer.json');
  writeFileSync(file, JSON.stringify(tracker));
  await importFeeds({ dir, paths: [file] });

  const changes = rematch(db, stored);
  assert.deepEqual(changes.map((c) => c.key), ['sha256:debian']);
  assert.deepEqual(changes[0]!.findings.map((f) => [f.id, f.severity]), [['CVE-2024-2511', 'Low']]);
  assert.deepEqual(changes[0]!.removed.map((f) => f.id).sort(), ['CVE-2010-0928', 'CVE-2024-2511']);
  assert.deepEqual(changes[0]!.added.map((f) => f.id), ['CVE-2024-2511']);
  // The npm source was not touched.
  assert.equal(db.match(npmImage).length, 3);
  db.close();
});

test('corrupt feeds fail with the file and line named; the database in use is untouched', async () => {
  const { dir, db } = await freshDb();
  const before = { status: db.status(), generation: db.generation() };
  const lodash = inventory(undefined, pkg({ ecosystem: 'npm', name: 'lodash', version: '4.17.11' }));
  const found = db.match(lodash).length;

  const broken = join(root, 'broken-tracker.json');
  writeFileSync(broken, '{\n  "openssl": {\n    "CVE-2023-5363": {\n      "releases": {,}\n');
  await assert.rejects(importFeeds({ dir, paths: [feeds.osvDir, broken] }), (err: unknown) => {
    assert.ok(err instanceof FeedError);
    assert.equal(err.file, broken);
    assert.equal(err.line, 4);
    assert.match(err.message, /broken-tracker\.json:4:\d+: invalid JSON/);
    return true;
  });

  const badShape = join(root, 'bad-secdb.json');
  writeFileSync(badShape, JSON.stringify({ distroversion: 'v3.19', reponame: 'main', packages: [{ pkg: { name: 'openssl', secfixes: { '3.1.4-r1': 'CVE-2023-5678' } } }] }));
  await assert.rejects(importFeeds({ dir, paths: [badShape] }), /bad-secdb\.json: packages\[0\]\.pkg\.secfixes\["3\.1\.4-r1"\] must be an array/);

  const badOsv = join(root, 'bad-osv.zip');
  await writeOsvZip(badOsv, [{ id: 'GHSA-xxxx', affected: [{ package: { ecosystem: 'npm' } }] } as { id: string }]);
  await assert.rejects(importFeeds({ dir, paths: [badOsv] }), /bad-osv\.zip!GHSA-xxxx\.json: GHSA-xxxx: affected\[0\]\.package needs "ecosystem" and "name"/);

  const notZip = join(root, 'garbage.zip');
  writeFileSync(notZip, 'this is not a zip file');
  await assert.rejects(importFeeds({ dir, paths: [notZip] }), /garbage\.zip: not a readable zip/);

  const unknown = join(root, 'unknown.json');
  writeFileSync(unknown, JSON.stringify({ hello: 'world' }));
  await assert.rejects(importFeeds({ dir, paths: [unknown] }), /unknown\.json: not a known feed format/);

  await assert.rejects(importFeeds({ dir, paths: [join(root, 'missing.json')] }), /missing\.json: cannot read: ENOENT/);

  assert.deepEqual(db.status(), before.status);
  assert.equal(db.generation(), before.generation);
  assert.equal(db.match(lodash).length, found);
  assert.deepEqual(readdirSync(dir).sort(), ['vulndb.sqlite'], 'no temporary file or lock left behind');
  db.close();
});

test('a second writer is refused while one holds the lock', async () => {
  const dir = mkdtempSync(join(root, 'lock-'));
  // A live process other than us holds it (the parent of this test process).
  writeFileSync(join(dir, 'vulndb.lock'), String(process.ppid));
  await assert.rejects(importFeeds({ dir, paths: [feeds.debianTracker] }), /another import or pull \(pid \d+\)/);
  // A lock of a dead process is taken over.
  writeFileSync(join(dir, 'vulndb.lock'), '999999999');
  await importFeeds({ dir, paths: [feeds.debianTracker] });
  assert.equal(existsSync(join(dir, 'vulndb.lock')), false);
});

test('single OSV files imported with a complete export of the same source are kept, in any order', async () => {
  const minimist = inventory(undefined, pkg({ ecosystem: 'npm', name: 'minimist', version: '1.2.5' }));
  const lodash = inventory(undefined, pkg({ ecosystem: 'npm', name: 'lodash', version: '4.17.20' }));
  for (const paths of [[feeds.osvDir, feeds.osvNpmZip], [feeds.osvNpmZip, feeds.osvDir]]) {
    const { db } = await freshDb(paths);
    assert.deepEqual(db.match(minimist).map((f) => f.id), ['CVE-2021-44906'], paths.join(' then '));
    assert.equal(db.match(lodash).length, 2);
    db.close();
  }
});
