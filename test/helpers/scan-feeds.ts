/**
 * Vulnerability feed fixtures for scanner tests, in the real public formats (OSV JSON and an
 * OSV all.zip, the Debian security tracker JSON, Alpine secdb JSON), holding real advisories
 * with their real ids and fixed versions, taken from the public advisories:
 *
 * - Debian 12 (bookworm) openssl: CVE-2023-5363 fixed in 3.0.11-1~deb12u2 (DSA-5532-1),
 *   CVE-2024-2511 fixed in 3.0.14-1~deb12u1; CVE-2010-0928 is open and "unimportant" in every
 *   release; bullseye's openssl 1.1.1 was never affected by CVE-2023-5363 (fixed_version "0").
 * - Alpine v3.19 openssl: CVE-2023-2975 fixed in 3.1.1-r2, CVE-2023-3446 in 3.1.1-r3,
 *   CVE-2023-5678 in 3.1.4-r1, CVE-2024-0727 in 3.1.4-r5; Alpine v3.20 busybox: CVE-2023-42364
 *   fixed in 1.36.1-r30.
 * - npm lodash: GHSA-jf85-cpcp-j695 (CVE-2019-10744, Critical) fixed in 4.17.12,
 *   GHSA-35jh-r3h4-6jhm (CVE-2021-23337, High) and GHSA-29mw-wpgm-hmr9 (CVE-2020-28500,
 *   Medium) fixed in 4.17.21; minimist: GHSA-xvch-5gv4-984h (CVE-2021-44906, Critical) fixed
 *   in 0.2.4 and 1.2.6.
 * - PyPI requests: GHSA-j8r2-6x86-q33q (CVE-2023-32681, Medium) affects 2.3.0 up to 2.31.0.
 * - Go golang.org/x/net: GO-2023-2102 / GHSA-4374-p667-p6c8 (CVE-2023-39325, HTTP/2 rapid
 *   reset) fixed in 0.17.0.
 *
 * The versions in KNOWN_VULNERABLE are those test/helpers/scan-images.ts's images carry (plus
 * a few only the database tests use). Image fixtures carry them; tests expect the
 * advisory ids listed there (the matcher reports the CVE id when an advisory has exactly one,
 * others as aliases) and nothing for CLEAN_PACKAGES.
 *
 *   const feeds = await writeFeeds(dir);          // every file, one path per format
 *   await importFeeds({ dir: scannerDir, paths: feeds.all });
 */
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import yazl from 'yazl';
import type { Ecosystem, OsRelease } from '../../src/scanner/types.ts';

export const DEBIAN_12: OsRelease = { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' };
export const ALPINE_3_19: OsRelease = { id: 'alpine', versionId: '3.19.1', prettyName: 'Alpine Linux v3.19' };
export const ALPINE_3_20: OsRelease = { id: 'alpine', versionId: '3.20.1', prettyName: 'Alpine Linux v3.20' };

export interface KnownAdvisory {
  /** The id the scanner reports (the CVE when the advisory has one). */
  id: string;
  fixedVersion?: string;
  severity?: 'Low' | 'Medium' | 'High' | 'Critical';
}

export interface KnownVulnerable {
  ecosystem: Ecosystem;
  /** For OS packages: the release the advisory applies to. */
  os?: OsRelease;
  /** Binary package name as installed. */
  name: string;
  /** Source package (dpkg Source:, apk origin) the advisories name. */
  sourceName?: string;
  version: string;
  advisories: KnownAdvisory[];
}

export const KNOWN_VULNERABLE: KnownVulnerable[] = [
  {
    ecosystem: 'dpkg',
    os: DEBIAN_12,
    name: 'libssl3',
    sourceName: 'openssl',
    version: '3.0.11-1~deb12u1',
    advisories: [
      { id: 'CVE-2023-5363', fixedVersion: '3.0.11-1~deb12u2' },
      { id: 'CVE-2024-2511', fixedVersion: '3.0.14-1~deb12u1' },
      { id: 'CVE-2010-0928', severity: 'Low' },
    ],
  },
  {
    // As test/helpers/scan-images.ts's Alpine 3.19 image carries it: CVE-2023-5678 is fixed in this very revision.
    ecosystem: 'apk',
    os: ALPINE_3_19,
    name: 'libcrypto3',
    sourceName: 'openssl',
    version: '3.1.4-r1',
    advisories: [{ id: 'CVE-2024-0727', fixedVersion: '3.1.4-r5' }],
  },
  {
    ecosystem: 'apk',
    os: ALPINE_3_20,
    name: 'busybox',
    sourceName: 'busybox',
    version: '1.36.1-r29',
    advisories: [{ id: 'CVE-2023-42364', fixedVersion: '1.36.1-r30' }],
  },
  {
    ecosystem: 'npm',
    name: 'lodash',
    version: '4.17.20',
    advisories: [
      { id: 'CVE-2021-23337', fixedVersion: '4.17.21', severity: 'High' },
      { id: 'CVE-2020-28500', fixedVersion: '4.17.21', severity: 'Medium' },
    ],
  },
  { ecosystem: 'npm', name: 'minimist', version: '1.2.5', advisories: [{ id: 'CVE-2021-44906', fixedVersion: '1.2.6', severity: 'Critical' }] },
  { ecosystem: 'pypi', name: 'requests', version: '2.25.0', advisories: [{ id: 'CVE-2023-32681', fixedVersion: '2.31.0', severity: 'Medium' }] },
  { ecosystem: 'go', name: 'golang.org/x/net', version: 'v0.16.0', advisories: [{ id: 'CVE-2023-39325', fixedVersion: '0.17.0', severity: 'High' }] },
];

/** The same packages at versions the fixtures' advisories do not affect. */
export const CLEAN_PACKAGES: { ecosystem: Ecosystem; os?: OsRelease; name: string; sourceName?: string; version: string }[] = [
  { ecosystem: 'dpkg', os: DEBIAN_12, name: 'base-files', version: '12.4+deb12u5' },
  { ecosystem: 'apk', os: ALPINE_3_19, name: 'libcrypto3', sourceName: 'openssl', version: '3.1.4-r5' },
  { ecosystem: 'apk', os: ALPINE_3_20, name: 'busybox', sourceName: 'busybox', version: '1.36.1-r30' },
  { ecosystem: 'npm', name: 'lodash', version: '4.17.21' },
  { ecosystem: 'npm', name: 'minimist', version: '1.2.8' },
  { ecosystem: 'pypi', name: 'requests', version: '2.31.0' },
  { ecosystem: 'go', name: 'golang.org/x/net', version: 'v0.17.0' },
];

/** Debian security tracker JSON (shape of security-tracker.debian.org/tracker/data/json). */
export function debianTrackerJson() {
  return {
    openssl: {
      'CVE-2023-5363': {
        description: 'Incorrect cipher key & IV length processing',
        scope: 'remote',
        releases: {
          bookworm: { status: 'resolved', repositories: { bookworm: '3.0.15-1~deb12u1' }, fixed_version: '3.0.11-1~deb12u2', urgency: 'not yet assigned' },
          bullseye: { status: 'resolved', repositories: { bullseye: '1.1.1w-0+deb11u1' }, fixed_version: '0', urgency: 'not yet assigned' },
        },
      },
      'CVE-2024-2511': {
        description: 'Unbounded memory growth with session handling in TLSv1.3',
        scope: 'remote',
        releases: {
          bookworm: { status: 'resolved', repositories: { bookworm: '3.0.15-1~deb12u1' }, fixed_version: '3.0.14-1~deb12u1', urgency: 'not yet assigned' },
        },
      },
      'CVE-2010-0928': {
        description: 'OpenSSL 0.9.8i on the Gaisler Research LEON3 SoC on the Xilinx Virtex-II Pro FPGA uses a Fixed Width Exponentiation (FWE) algorithm ...',
        scope: 'local',
        releases: {
          bookworm: { status: 'open', repositories: { bookworm: '3.0.15-1~deb12u1' }, urgency: 'unimportant' },
          bullseye: { status: 'open', repositories: { bullseye: '1.1.1w-0+deb11u1' }, urgency: 'unimportant' },
        },
      },
    },
  };
}

/** Alpine secdb JSON (shape of secdb.alpinelinux.org/v3.19/main.json). */
export function alpineSecdbJson(branch: 'v3.19' | 'v3.20') {
  const packages =
    branch === 'v3.19'
      ? [{ pkg: { name: 'openssl', secfixes: { '3.1.1-r2': ['CVE-2023-2975'], '3.1.1-r3': ['CVE-2023-3446'], '3.1.4-r1': ['CVE-2023-5678'], '3.1.4-r5': ['CVE-2024-0727'] } } }]
      : [{ pkg: { name: 'busybox', secfixes: { '1.36.1-r30': ['CVE-2023-42364'] } } }];
  return {
    apkurl: '{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk',
    archs: ['aarch64', 'x86_64'],
    reponame: 'main',
    urlprefix: 'https://dl-cdn.alpinelinux.org/alpine',
    distroversion: branch,
    packages,
  };
}

const ghsaRefs = (id: string, cve: string, pkgUrl: string) => [
  { type: 'ADVISORY', url: `https://nvd.nist.gov/vuln/detail/${cve}` },
  { type: 'PACKAGE', url: pkgUrl },
  { type: 'WEB', url: `https://github.com/advisories/${id}` },
];

/** OSV records as the GitHub advisory database and the Go vulnerability database publish them. */
export function osvRecords() {
  return {
    npm: [
      {
        schema_version: '1.4.0',
        id: 'GHSA-jf85-cpcp-j695',
        modified: '2024-01-24T20:54:57Z',
        published: '2019-07-10T19:45:23Z',
        aliases: ['CVE-2019-10744'],
        summary: 'Prototype Pollution in lodash',
        details: 'Versions of lodash lower than 4.17.12 are vulnerable to Prototype Pollution. The function defaultsDeep could be tricked into adding or modifying properties of Object.prototype using a constructor payload.',
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H' }],
        affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.17.12' }] }] }],
        references: ghsaRefs('GHSA-jf85-cpcp-j695', 'CVE-2019-10744', 'https://github.com/lodash/lodash'),
        database_specific: { cwe_ids: ['CWE-1321', 'CWE-20'], severity: 'CRITICAL', github_reviewed: true },
      },
      {
        schema_version: '1.4.0',
        id: 'GHSA-35jh-r3h4-6jhm',
        modified: '2024-02-16T08:11:02Z',
        published: '2021-05-06T16:05:51Z',
        aliases: ['CVE-2021-23337'],
        summary: 'Command Injection in lodash',
        details: '`lodash` versions prior to 4.17.21 are vulnerable to Command Injection via the template function.',
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }],
        affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] }],
        references: ghsaRefs('GHSA-35jh-r3h4-6jhm', 'CVE-2021-23337', 'https://github.com/lodash/lodash'),
        database_specific: { cwe_ids: ['CWE-77', 'CWE-94'], severity: 'HIGH', github_reviewed: true },
      },
      {
        schema_version: '1.4.0',
        id: 'GHSA-29mw-wpgm-hmr9',
        modified: '2024-02-16T08:11:13Z',
        published: '2022-01-06T20:30:46Z',
        aliases: ['CVE-2020-28500'],
        summary: 'Regular Expression Denial of Service (ReDoS) in lodash',
        details: 'All versions of package lodash prior to 4.17.21 are vulnerable to Regular Expression Denial of Service (ReDoS) via the toNumber, trim and trimEnd functions.',
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' }],
        affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '4.0.0' }, { fixed: '4.17.21' }] }] }],
        references: ghsaRefs('GHSA-29mw-wpgm-hmr9', 'CVE-2020-28500', 'https://github.com/lodash/lodash'),
        database_specific: { cwe_ids: ['CWE-1333', 'CWE-400'], severity: 'MODERATE', github_reviewed: true },
      },
    ],
    minimist: [
      {
        schema_version: '1.4.0',
        id: 'GHSA-xvch-5gv4-984h',
        modified: '2024-06-21T21:33:57Z',
        published: '2022-03-18T00:01:09Z',
        aliases: ['CVE-2021-44906'],
        summary: 'Prototype Pollution in minimist',
        details: 'Minimist <=1.2.5 is vulnerable to Prototype Pollution via file index.js, function setKey() (lines 69-95).',
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
        affected: [
          { package: { ecosystem: 'npm', name: 'minimist' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '0.2.4' }] }] },
          { package: { ecosystem: 'npm', name: 'minimist' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.0.0' }, { fixed: '1.2.6' }] }] },
        ],
        references: ghsaRefs('GHSA-xvch-5gv4-984h', 'CVE-2021-44906', 'https://github.com/minimistjs/minimist'),
        database_specific: { cwe_ids: ['CWE-1321'], severity: 'CRITICAL', github_reviewed: true },
      },
    ],
    pypi: [
      {
        schema_version: '1.4.0',
        id: 'GHSA-j8r2-6x86-q33q',
        modified: '2024-09-20T15:27:51Z',
        published: '2023-05-22T20:36:32Z',
        aliases: ['CVE-2023-32681'],
        summary: 'Unintended leak of Proxy-Authorization header in requests',
        details: 'Requests has been leaking Proxy-Authorization headers to destination servers when redirected to an HTTPS endpoint. This was fixed in 2.31.0.',
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N' }],
        affected: [{ package: { ecosystem: 'PyPI', name: 'requests' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.3.0' }, { fixed: '2.31.0' }] }] }],
        references: ghsaRefs('GHSA-j8r2-6x86-q33q', 'CVE-2023-32681', 'https://github.com/psf/requests'),
        database_specific: { cwe_ids: ['CWE-200'], severity: 'MODERATE', github_reviewed: true },
      },
    ],
    go: [
      {
        schema_version: '1.3.1',
        id: 'GO-2023-2102',
        modified: '2024-05-20T16:03:47Z',
        published: '2023-10-11T18:04:05Z',
        aliases: ['CVE-2023-39325', 'GHSA-4374-p667-p6c8'],
        summary: 'HTTP/2 rapid reset can cause excessive work in net/http',
        details: 'A malicious HTTP/2 client which rapidly creates requests and immediately resets them can cause excessive server resource consumption.',
        affected: [
          {
            package: { name: 'golang.org/x/net', ecosystem: 'Go' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.17.0' }] }],
            ecosystem_specific: { imports: [{ path: 'golang.org/x/net/http2', symbols: ['Server.ServeConn'] }] },
          },
        ],
        references: [{ type: 'REPORT', url: 'https://go.dev/issue/63417' }, { type: 'FIX', url: 'https://go.dev/cl/534215' }],
        database_specific: { url: 'https://pkg.go.dev/vuln/GO-2023-2102' },
      },
      {
        schema_version: '1.4.0',
        id: 'GHSA-4374-p667-p6c8',
        modified: '2024-04-04T05:48:10Z',
        published: '2023-10-11T22:28:44Z',
        aliases: ['CVE-2023-39325'],
        summary: 'HTTP/2 rapid reset can cause excessive work in net/http',
        details: 'A malicious HTTP/2 client which rapidly creates requests and immediately resets them can cause excessive server resource consumption.',
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
        affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.17.0' }] }] }],
        references: ghsaRefs('GHSA-4374-p667-p6c8', 'CVE-2023-39325', 'https://go.googlesource.com/net'),
        database_specific: { cwe_ids: ['CWE-400'], severity: 'HIGH', github_reviewed: true },
      },
    ],
    debian: [
      {
        id: 'DSA-5532-1',
        modified: '2023-10-30T00:00:00Z',
        published: '2023-10-29T00:00:00Z',
        upstream: ['CVE-2023-5363'],
        summary: 'openssl - security update',
        details: 'Tony Battersby reported that incorrect cipher key and IV length processing could result in loss of confidentiality for some symmetric cipher modes.',
        affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }] }] }],
        references: [{ type: 'ADVISORY', url: 'https://www.debian.org/security/2023/dsa-5532' }],
      },
    ],
  };
}

export interface FeedFiles {
  debianTracker: string;
  alpine319: string;
  alpine320: string;
  /** A directory of single OSV JSON files (npm, PyPI, Go, Debian). */
  osvDir: string;
  /** The npm records as an OSV all.zip (one entry per advisory; minimist as a single JSON file in osvDir). */
  osvNpmZip: string;
  /** Every file above, as `scanner db import` takes them (the npm zip stands in for its JSON files). */
  all: string[];
}

export async function writeOsvZip(path: string, records: { id: string }[]) {
  const zip = new yazl.ZipFile();
  for (const r of records) zip.addBuffer(Buffer.from(JSON.stringify(r)), `${r.id}.json`);
  zip.end();
  const out = createWriteStream(path);
  zip.outputStream.pipe(out);
  await once(out, 'close');
}

/** Writes every fixture feed under `dir` and returns the paths. */
export async function writeFeeds(dir: string): Promise<FeedFiles> {
  mkdirSync(dir, { recursive: true });
  const debianTracker = join(dir, 'debian-tracker.json');
  writeFileSync(debianTracker, JSON.stringify(debianTrackerJson(), null, 1));
  const alpine319 = join(dir, 'alpine-v3.19-main.json');
  writeFileSync(alpine319, JSON.stringify(alpineSecdbJson('v3.19'), null, 1));
  const alpine320 = join(dir, 'alpine-v3.20-main.json');
  writeFileSync(alpine320, JSON.stringify(alpineSecdbJson('v3.20'), null, 1));
  const osv = osvRecords();
  const osvDir = join(dir, 'osv');
  mkdirSync(osvDir, { recursive: true });
  for (const r of [...osv.minimist, ...osv.pypi, ...osv.go, ...osv.debian]) writeFileSync(join(osvDir, `${r.id}.json`), JSON.stringify(r, null, 1));
  const osvNpmZip = join(dir, 'npm-all.zip');
  await writeOsvZip(osvNpmZip, osv.npm);
  return { debianTracker, alpine319, alpine320, osvDir, osvNpmZip, all: [debianTracker, alpine319, alpine320, osvDir, osvNpmZip] };
}
