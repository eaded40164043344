/** Package URLs (the purl spec) for inventoried packages, built with packageurl-js. */
import { PackageURL } from 'packageurl-js';
import type { OsRelease } from '../types.ts';
import type { PackageDraft } from './package-draft.ts';

export function purlOf(pkg: PackageDraft, os: OsRelease | undefined): string {
  const qualifiers: Record<string, string> = {};
  if (pkg.arch) qualifiers.arch = pkg.arch;
  switch (pkg.ecosystem) {
    case 'dpkg': {
      const vendor = os?.id ?? 'debian';
      if (os?.versionId) qualifiers.distro = `${vendor}-${os.versionId}`;
      return new PackageURL('deb', vendor, pkg.name, pkg.version, qualifiers, undefined).toString();
    }
    case 'apk': {
      if (os?.versionId) qualifiers.distro = os.versionId;
      return new PackageURL('apk', os?.id ?? 'alpine', pkg.name, pkg.version, qualifiers, undefined).toString();
    }
    case 'rpm': {
      if (os?.versionId) qualifiers.distro = `${os.id}-${os.versionId}`;
      return new PackageURL('rpm', os?.id ?? 'redhat', pkg.name, pkg.version, qualifiers, undefined).toString();
    }
    case 'npm': {
      const scoped = pkg.name.startsWith('@') && pkg.name.includes('/');
      const namespace = scoped ? pkg.name.slice(0, pkg.name.indexOf('/')) : undefined;
      const name = scoped ? pkg.name.slice(pkg.name.indexOf('/') + 1) : pkg.name;
      return new PackageURL('npm', namespace, name, pkg.version, undefined, undefined).toString();
    }
    case 'pypi':
      return new PackageURL('pypi', undefined, pkg.name.toLowerCase().replace(/[-_.]+/g, '-'), pkg.version, undefined, undefined).toString();
    case 'go': {
      const slash = pkg.name.lastIndexOf('/');
      const namespace = slash > 0 ? pkg.name.slice(0, slash) : undefined;
      return new PackageURL('golang', namespace, pkg.name.slice(slash + 1), pkg.version, undefined, undefined).toString();
    }
  }
}
