/**
 * Which files of an image the inventory reads (package databases and manifests) and how layer
 * entry paths are checked. Everything else in a layer is streamed past, never kept or written.
 */
import { ScanError } from '../scan-error.ts';

export type RecordKind =
  | 'os-release'
  | 'dpkg-status'
  | 'dpkg-status-d'
  | 'apk-installed'
  | 'rpmdb-sqlite'
  | 'npm-lock'
  | 'npm-package'
  | 'python-metadata';

const NPM_PACKAGE = /(^|\/)node_modules\/(@[^/]+\/)?[^/@.][^/]*\/package\.json$/;
const PYTHON_METADATA = /\.dist-info\/METADATA$|\.egg-info\/PKG-INFO$/;

export function recordKind(path: string): RecordKind | undefined {
  switch (path) {
    case 'etc/os-release':
    case 'usr/lib/os-release':
      return 'os-release';
    case 'var/lib/dpkg/status':
      return 'dpkg-status';
    case 'lib/apk/db/installed':
      return 'apk-installed';
    case 'var/lib/rpm/rpmdb.sqlite':
    case 'usr/lib/sysimage/rpm/rpmdb.sqlite':
      return 'rpmdb-sqlite';
  }
  if (/^var\/lib\/dpkg\/status\.d\/[^/]+$/.test(path) && !path.endsWith('.md5sums')) return 'dpkg-status-d';
  if (path.endsWith('package-lock.json') && /(^|\/)package-lock\.json$/.test(path) && !path.includes('node_modules/')) return 'npm-lock';
  if (NPM_PACKAGE.test(path)) return 'npm-package';
  if (PYTHON_METADATA.test(path)) return 'python-metadata';
  return undefined;
}

/**
 * A tar entry's name as a root-relative path (`a/b/c`), or '' for the root itself. Absolute
 * names and names with `..` components are refused: the scanner never writes entries anywhere,
 * but a layer that tries to leave its root is not one to trust (the scan fails closed).
 */
export function entryPath(name: string, layerDigest: string): string {
  if (name.startsWith('/')) throw new ScanError('PATH_INVALID', `layer ${layerDigest}: absolute path ${JSON.stringify(name.slice(0, 200))}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new ScanError('PATH_INVALID', `layer ${layerDigest}: path ${JSON.stringify(name.slice(0, 200))} leaves the root`);
  return parts.join('/');
}

/** Joins a symlink target to the link's directory, clamped at the root (as the kernel does in a chroot). */
export function resolveLinkTarget(linkPath: string, target: string): string[] {
  const base = target.startsWith('/') ? [] : linkPath.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') base.pop();
    else base.push(part);
  }
  return base;
}
