/** One kept record file to the packages it lists. */
import type { RecordKind } from '../image/record-paths.ts';
import { parseApkInstalled } from './apk.ts';
import { parseDpkgStatus } from './dpkg.ts';
import { parseNpmLock, parseNpmPackageJson } from './npm.ts';
import type { PackageDraft } from './package-draft.ts';
import { parsePythonMetadata } from './python.ts';
import { parseRpmDatabase } from './rpm.ts';
import type { GoBuildInfo } from './go-buildinfo.ts';

export function parseRecord(kind: RecordKind, path: string, data: Buffer): PackageDraft[] {
  if (kind === 'rpmdb-sqlite') return parseRpmDatabase(data, path);
  const text = data.toString('utf8');
  switch (kind) {
    case 'dpkg-status':
    case 'dpkg-status-d':
      return parseDpkgStatus(text, path);
    case 'apk-installed':
      return parseApkInstalled(text, path);
    case 'npm-lock':
      return parseNpmLock(text, path);
    case 'npm-package':
      return parseNpmPackageJson(text, path);
    case 'python-metadata':
      return parsePythonMetadata(text, path);
    case 'os-release':
      return [];
  }
}

/** A Go binary's modules; the toolchain itself as `stdlib` (how OSV's Go ecosystem names it), version `v1.21.5`. */
export function goPackages(info: GoBuildInfo, path: string): PackageDraft[] {
  const out: PackageDraft[] = [];
  const goVersion = /^go(\d+(?:\.\d+)*)/.exec(info.goVersion)?.[1];
  if (goVersion) out.push({ ecosystem: 'go', name: 'stdlib', version: `v${goVersion}`, path });
  if (info.main && info.main.version !== '(devel)') out.push({ ecosystem: 'go', name: info.main.path, version: info.main.version, path });
  for (const dep of info.deps) out.push({ ecosystem: 'go', name: dep.path, version: dep.version, path });
  return out;
}
