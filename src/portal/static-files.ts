/**
 * Resolving and describing the portal's built files (portal/dist). A request path reaches the
 * filesystem only after it is checked here: plain segments of [A-Za-z0-9._-], no dot-only
 * segments, and the resolved path (links followed) must stay inside the dist folder.
 */
import { realpathSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { PACKAGE_ROOT } from '../package-info.ts';

/** portal/dist in the package (the same from src/ and from the compiled dist/lazaret.js). */
export const DEFAULT_PORTAL_DIST = join(PACKAGE_ROOT, 'portal', 'dist');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

const SEGMENT = /^[A-Za-z0-9._-]{1,255}$/;

/**
 * Maps the part of a URL after `/portal/` to a file inside `distDir`, or null when the path is
 * not a plain relative path or names no regular file.
 */
export function resolveStaticFile(distDir: string, relativePath: string): { path: string; size: number; mtime: Date } | null {
  if (relativePath === '') return null;
  const segments = relativePath.split('/');
  if (segments.some((s) => !SEGMENT.test(s) || /^\.+$/.test(s))) return null;
  const root = resolve(distDir);
  const full = resolve(join(root, ...segments));
  if (!full.startsWith(root + sep)) return null;
  try {
    // Symbolic links must not lead out of the folder either (the build makes none).
    if (!realpathSync(full).startsWith(realpathSync(root) + sep)) return null;
    const st = statSync(full);
    return st.isFile() ? { path: full, size: st.size, mtime: st.mtime } : null;
  } catch {
    return null;
  }
}

/**
 * Cache policy: Vite's hashed assets never change under their name, so they are immutable;
 * index.html must be revalidated so a new build is picked up at once; the rest (favicon) may
 * be cached briefly.
 */
export function cacheControlOf(relativePath: string): string {
  if (relativePath.startsWith('assets/')) return 'public, max-age=31536000, immutable';
  if (relativePath === 'index.html') return 'no-cache';
  return 'public, max-age=3600';
}
