#!/usr/bin/env node
// Import boundaries (run by `npm test` and `npm run lint`; the rules are in docs/architecture.md
// "Boundaries"):
//  1. HTTP handlers (src/distribution, src/acr-api, src/management-api, src/portal and every
//     *-routes.ts) never import metadata's store (src/metadata/), quarantine's store, or any
//     module's SQL (store/sql/), and never call the content roles (store.tags, tx.manifests,
//     ...): content is read and written through the registry service (src/registry/).
//  2. A module that has an index.ts is entered through it: files of other modules import
//     src/<module>/index.ts, never a file inside it. The same holds for a module's store
//     (src/<module>/store/index.ts; its conformance section store/suite.ts is the one other
//     entry). Adding index.ts to a module closes it.
//  3. The gate (src/quarantine/gate.ts) is asked by the registry service alone: outside it only
//     the quarantine module itself, the composition root (src/services.ts) and the metrics
//     wrapper (src/observability/) may import it.
// Test files are exempt from rules 2 and 3 (a test may reach into what it tests).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const HANDLER_DIRS = ['src/distribution/', 'src/acr-api/', 'src/management-api/', 'src/portal/'];
const CONTENT_ROLE_CALL = /\b(store|tx)\.(tags|manifests|repositories|verdicts)\b/;
/** Known breaches, to be moved behind the registry service (each listed with its file); the list only shrinks. */
const KNOWN = new Set([]);

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

const GATE = 'src/quarantine/gate.ts';
const mayImportGate = (file) => file.startsWith('src/registry/') || file.startsWith('src/quarantine/') || file.startsWith('src/observability/') || file === 'src/services.ts';

const isHandler = (file) => !file.endsWith('.test.ts') && (HANDLER_DIRS.some((d) => file.startsWith(d)) || /-routes\.ts$/.test(file));
const moduleOf = (file) => file.split('/')[1];

/**
 * Checks source files (repository-relative path -> text); `hasIndex(dir)` tells whether
 * `dir/index.ts` exists. Returns one line per breach.
 */
export function checkBoundaries(files, hasIndex) {
  const breaches = [];
  for (const [file, text] of files) {
    if (isHandler(file) && CONTENT_ROLE_CALL.test(text)) breaches.push(`${file}: calls a content role (store.tags, tx.manifests, ...): go through the registry service`);
    for (const m of text.matchAll(IMPORT)) {
      const target = normalize(join(dirname(file), m[1] ?? m[2]));
      if (!target.startsWith('src/')) continue;
      if (isHandler(file) && (target.startsWith('src/metadata/') || target.startsWith('src/quarantine/store/') || target.includes('/store/sql/'))) {
        breaches.push(`${file}: imports ${target}: handlers reach content through the registry service, not the store`);
      }
      if (file.endsWith('.test.ts') || !file.startsWith('src/')) continue;
      if (target === GATE && !mayImportGate(file)) breaches.push(`${file}: imports the gate: content readers ask the registry service, which applies it`);
      const from = moduleOf(file);
      const to = moduleOf(target);
      if (from === to) continue;
      const store = target.match(/^(src\/[^/]+\/store)\//);
      // A store's conformance section (suite.ts) is its second entry, for src/persistence/store-suite.ts.
      if (store && target !== `${store[1]}/index.ts` && target !== `${store[1]}/suite.ts` && hasIndex(store[1])) breaches.push(`${file}: imports ${target}: enter ${store[1]}/ through its index.ts`);
      else if (!store && target !== `src/${to}/index.ts` && hasIndex(`src/${to}`)) breaches.push(`${file}: imports ${target}: enter src/${to}/ through its index.ts`);
    }
  }
  return breaches;
}

function sources(root) {
  const out = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir))) {
      if (entry === 'node_modules' || entry.startsWith('.')) continue;
      const path = `${dir}/${entry}`;
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (/\.tsx?$/.test(entry)) out.set(path, readFileSync(join(root, path), 'utf8'));
    }
  };
  walk('src');
  walk('test');
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = relative(process.cwd(), new URL('..', import.meta.url).pathname) || '.';
  const all = checkBoundaries(sources(root), (dir) => existsSync(join(root, dir, 'index.ts')));
  const fresh = all.filter((b) => !KNOWN.has(b));
  const gone = [...KNOWN].filter((k) => !all.includes(k));
  for (const b of fresh) console.error(`boundary: ${b}`);
  for (const k of gone) console.error(`boundary: fixed, remove it from KNOWN in scripts/check-boundaries.mjs: ${k}`);
  if (fresh.length || gone.length) process.exit(1);
}
