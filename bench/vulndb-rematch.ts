/**
 * Re-match of 1,000 stored inventories after a vulnerability database change (issue target:
 * under 30 s). Run: `node --import tsx bench/vulndb-rematch.ts [--inventories N]`.
 *
 * The database is built from generated feeds in the real formats, sized like the real ones
 * (a Debian tracker of 2,000 source packages x 15 CVEs with bookworm and bullseye entries,
 * 6,000 npm OSV records over 1,500 packages in an all.zip, an Alpine secdb of 600 packages x 8
 * fixes). Inventories look like real images: 60% Debian (150 dpkg packages, 300 npm), 40%
 * Alpine (40 apk, 150 npm). The change is a newer tracker export in which a tenth of the
 * advisories got a new fixed version and some new CVEs appeared; the re-match finds which
 * stored results changed. Printed: import times, first match, re-match time, changed entries,
 * peak RSS.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InstalledPackage, Inventory } from '../src/scanner/types.ts';
import { importFeeds, openVulnDatabase, rematch, type StoredScan } from '../src/scanner/vulndb/index.ts';
import { writeOsvZip } from '../test/helpers/scan-feeds.ts';

const args = process.argv.slice(2);
const N = Number(args[args.indexOf('--inventories') + 1] || 1000) || 1000;
const DEB_PACKAGES = 2000;
const CVES_PER_DEB = 15;
const NPM_PACKAGES = 1500;
const NPM_ADVISORIES = 6000;
const APK_PACKAGES = 600;

// A small deterministic generator: the same run gives the same data.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (n: number) => Math.floor(rand() * n);

const debVersion = (i: number, rev: number) => `${1 + (i % 7)}.${i % 13}.${rev}-1~deb12u${1 + (rev % 4)}`;

function trackerJson(changed: boolean) {
  const out: Record<string, Record<string, unknown>> = {};
  let n = 0;
  for (let p = 0; p < DEB_PACKAGES; p++) {
    const entries: Record<string, unknown> = {};
    for (let c = 0; c < CVES_PER_DEB + (changed && p % 10 === 0 ? 1 : 0); c++) {
      const id = `CVE-20${10 + (n % 14)}-${10000 + n}`;
      n++;
      const moved = changed && n % 10 === 0;
      const fix = c % 5 === 4 ? undefined : debVersion(p, c + (moved ? 3 : 1));
      entries[id] = {
        description: `generated advisory ${id}`,
        releases: {
          bookworm: fix ? { status: 'resolved', fixed_version: fix, urgency: ['low', 'medium', 'high', 'not yet assigned'][c % 4] } : { status: 'open', urgency: 'unimportant' },
          bullseye: { status: 'resolved', fixed_version: '0', urgency: 'not yet assigned' },
        },
      };
    }
    out[`srcpkg${p}`] = entries;
  }
  return out;
}

function npmRecords() {
  return Array.from({ length: NPM_ADVISORIES }, (_, i) => {
    const pkg = `npm-pkg-${i % NPM_PACKAGES}`;
    const major = i % 5;
    return {
      id: `GHSA-gen${String(i).padStart(5, '0')}`,
      modified: '2026-11-30T06:00:00Z',
      aliases: [`CVE-2025-${20000 + i}`],
      summary: `generated npm advisory ${i}`,
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }],
      affected: [{ package: { ecosystem: 'npm', name: pkg }, ranges: [{ type: 'SEMVER', events: [{ introduced: `${major}.0.0` }, { fixed: `${major}.${1 + (i % 9)}.0` }] }] }],
      database_specific: { severity: ['LOW', 'MODERATE', 'HIGH', 'CRITICAL'][i % 4] },
    };
  });
}

function secdb() {
  return {
    distroversion: 'v3.19',
    reponame: 'main',
    packages: Array.from({ length: APK_PACKAGES }, (_, p) => ({
      pkg: { name: `apkpkg${p}`, secfixes: Object.fromEntries(Array.from({ length: 8 }, (_, f) => [`${1 + (p % 5)}.${f}.0-r${f % 3}`, [`CVE-2024-${30000 + p * 8 + f}`]])) },
    })),
  };
}

const LAYER = `sha256:${'1'.repeat(64)}`;
const pkgOf = (ecosystem: InstalledPackage['ecosystem'], name: string, version: string, sourceName?: string): InstalledPackage => ({
  ecosystem,
  name,
  version,
  sourceName,
  purl: `pkg:generic/${name}@${version}`,
  path: 'x',
  layerDigest: LAYER,
});

function inventories(): Inventory[] {
  return Array.from({ length: N }, (_, i) => {
    if (i % 10 < 6) {
      const packages = [
        ...Array.from({ length: 150 }, () => {
          const p = pick(DEB_PACKAGES + 500); // some packages no advisory names
          return pkgOf('dpkg', `lib${p}`, debVersion(p, pick(8)), `srcpkg${p}`);
        }),
        ...Array.from({ length: 300 }, () => pkgOf('npm', `npm-pkg-${pick(NPM_PACKAGES + 3000)}`, `${pick(5)}.${pick(10)}.${pick(4)}`)),
      ];
      return { os: { id: 'debian', versionId: '12', codename: 'bookworm' }, packages };
    }
    const packages = [
      ...Array.from({ length: 40 }, () => {
        const p = pick(APK_PACKAGES + 200);
        return pkgOf('apk', `apkpkg${p}`, `${1 + (p % 5)}.${pick(8)}.0-r${pick(3)}`);
      }),
      ...Array.from({ length: 150 }, () => pkgOf('npm', `npm-pkg-${pick(NPM_PACKAGES + 3000)}`, `${pick(5)}.${pick(10)}.${pick(4)}`)),
    ];
    return { os: { id: 'alpine', versionId: '3.19.1' }, packages };
  });
}

const secs = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(2)} s, rss ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MiB`;
let peakRss = 0;
const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);

const root = mkdtempSync(join(tmpdir(), 'lazaret-bench-rematch-'));
try {
  const feeds = join(root, 'feeds');
  const dir = join(root, 'scanner');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(feeds, { recursive: true });
  writeFileSync(join(feeds, 'tracker.json'), JSON.stringify(trackerJson(false)));
  writeFileSync(join(feeds, 'secdb.json'), JSON.stringify(secdb()));
  await writeOsvZip(join(feeds, 'npm-all.zip'), npmRecords());

  let t0 = performance.now();
  const first = await importFeeds({ dir, paths: [feeds] });
  console.log(`import of all feeds: ${secs(t0)} (${first.advisories} advisories)`);

  const db = openVulnDatabase({ dir });
  const inv = inventories();
  const packages = inv.reduce((n, i) => n + i.packages.length, 0);
  t0 = performance.now();
  const stored: StoredScan[] = inv.map((inventory, i) => ({ key: `sha256:${i}`, inventory, findings: db.match(inventory) }));
  const findings = stored.reduce((n, s) => n + s.findings.length, 0);
  console.log(`first match of ${N} inventories (${packages} packages): ${secs(t0)}, ${findings} findings`);

  const changed = join(root, 'tracker-newer.json');
  writeFileSync(changed, JSON.stringify(trackerJson(true)));
  t0 = performance.now();
  const second = await importFeeds({ dir, paths: [changed] });
  console.log(`import of the changed tracker: ${secs(t0)} (generation ${second.generation})`);

  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const changes = rematch(db, stored);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // CPU time too: on a shared machine the wall time mostly measures the other processes.
  console.log(
    `RE-MATCH of ${N} stored inventories after the change: ${elapsed.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU (target < 30 s), ${changes.length} changed; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`,
  );
  db.close();
  clearInterval(sample);
  console.log(`peak RSS: ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
} finally {
  clearInterval(sample);
  rmSync(root, { recursive: true, force: true });
}
