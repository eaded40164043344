/**
 * The contract between the built-in scanner's halves: the image side (src/scanner/image,
 * inventory, sbom, server) produces an Inventory from an image's layers; the vulnerability
 * database (src/scanner/vulndb) turns an Inventory into Findings. Both halves import only
 * these types from each other, so either can change inside without touching the other.
 */

/** Package ecosystems the scanner inventories and the database matches. */
export type Ecosystem = 'dpkg' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'go';

/** Harbor's severities, lowest first (Harbor also knows Negligible/None; we map them to Low/Unknown). */
export const SEVERITIES = ['Unknown', 'Low', 'Medium', 'High', 'Critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The distribution the image claims in /etc/os-release (or /usr/lib/os-release). */
export interface OsRelease {
  /** `ID=` lower-cased, e.g. `debian`, `ubuntu`, `alpine`. */
  id: string;
  /** `VERSION_ID=`, e.g. `12`, `3.19.1`. */
  versionId?: string;
  /** `VERSION_CODENAME=`, e.g. `bookworm`. */
  codename?: string;
  prettyName?: string;
}

/** One installed package, as its package manager recorded it. */
export interface InstalledPackage {
  ecosystem: Ecosystem;
  /** Binary package name (dpkg `Package:`, apk `P:`, npm `name`, Python `Name:`, Go module path). */
  name: string;
  /** Version exactly as recorded (dpkg `Version:` with epoch, apk `V:`, npm `version`, ...). */
  version: string;
  /** Source package, where the ecosystem has one (dpkg `Source:`, apk `o:`); advisories name it. */
  sourceName?: string;
  /** Source version when it differs (dpkg `Source: name (version)`). */
  sourceVersion?: string;
  /** Package URL (purl spec), e.g. `pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12`. */
  purl: string;
  licenses?: string[];
  /** Path inside the image of the record that lists it (e.g. `var/lib/dpkg/status`). */
  path: string;
  /** Digest of the layer whose version of that record introduced this package. */
  layerDigest: string;
}

export interface Inventory {
  os?: OsRelease;
  packages: InstalledPackage[];
}

/** One vulnerability that applies to one installed package. */
export interface Finding {
  /** Advisory id, e.g. `CVE-2023-0286`, `GHSA-...`, `DSA-...`. */
  id: string;
  /** Other ids the advisory is known by (aliases). */
  aliases?: string[];
  package: string;
  ecosystem: Ecosystem;
  installedVersion: string;
  /** The first version that fixes it, when known. */
  fixedVersion?: string;
  severity: Severity;
  /** CVSS v3 base score, when the advisory has one. */
  cvssScore?: number;
  cvssVector?: string;
  title?: string;
  description?: string;
  links: string[];
  layerDigest: string;
}

/** What the database says about itself (adapter metadata, scanner health). */
export interface VulnDbStatus {
  /** False when nothing has been imported: scans then fail closed with that reason. */
  loaded: boolean;
  /** When the imported data was built (the newest feed's own timestamp), ISO 8601. */
  builtAt?: string;
  /** When it was imported here, ISO 8601. */
  importedAt?: string;
  /** Each imported source, e.g. `osv:Debian:12`, `debian-tracker`, `alpine-secdb:v3.19`. */
  sources: string[];
  advisories: number;
}

/** The database as the scanner server uses it. Implemented by src/scanner/vulndb. */
export interface VulnDatabase {
  status(): VulnDbStatus;
  /** Findings for an inventory; never throws for unknown ecosystems (they match nothing). */
  match(inventory: Inventory): Finding[];
  /** A counter that changes whenever a new import becomes visible (drives re-matching). */
  generation(): number;
  close(): void;
}
