/**
 * `npm run bench -- --scale [--dialect sqlite|postgres|both] [--tags N] [--repos N] [--duration S]`:
 * how the cost of a request grows with the size of the registry (issue 15 item 6).
 *
 * Two fixtures per dialect, each in a fresh compiled Lazaret (auth off, scanner off):
 * - small: 1,000 tags (each on its own manifest) in one repository, 1,000 repositories;
 * - large: `--tags` (default 1,000,000) tags and manifests in one repository, `--repos`
 *   (default 100,000) repositories with one manifest each.
 * One real image is pushed over HTTP first; the fixture rows are then copied from its rows in
 * bulk, inside the database (a recursive CTE on SQLite, generate_series on PostgreSQL), so every
 * column the migrations define is filled as the registry fills it. The load time is reported.
 * Then, per fixture, each request runs for `--duration` seconds with 16 in flight: manifest GET
 * by tag and by digest (of the real image), manifest PUT (new tags), tags-list pages (n=100)
 * from the start, the middle and the end, catalog pages, and the /acr/v1 listings. Reported:
 * requests/s and the registry's CPU per request, large / small (target: every per-request
 * figure within 1.5x), and the database size per manifest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Pool, request } from 'undici';
import { freePort } from './lib/children.ts';
import { imageConfig, imageManifest, MANIFEST_MEDIA_TYPE, sha256, type MemBlob } from './lib/data.ts';
import { treeCpuSeconds } from './lib/proc-stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const LARGE_TAGS = Number(arg('tags', '1000000'));
const LARGE_REPOS = Number(arg('repos', '100000'));
const SMALL = 1000;
const DURATION = Number(arg('duration', '4'));
const DIALECTS = arg('dialect', 'both') === 'both' ? ['sqlite', 'postgres'] : [arg('dialect', 'sqlite')];
const PG_URL = process.env.LAZARET_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const IN_FLIGHT = 16;
/** `--only a,b`: only the requests whose name contains one of these. */
const ONLY = arg('only', '').split(',').filter(Boolean);
const BIG = 'scale/big';
const tag = (i: number) => `t${String(i).padStart(7, '0')}`;
const repo = (i: number) => `scale/r${String(i).padStart(7, '0')}`;

interface Target { url: string; child: ChildProcess; dir: string; schema?: string }

async function start(dialect: string, dir: string, schema?: string): Promise<Target> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LAZARET_DATA_DIR: dir, LAZARET_LISTEN: `127.0.0.1:${port}`, LAZARET_AUTH_MODE: 'none', LAZARET_LOG_LEVEL: 'warn', LAZARET_SCANNER_BUILTIN: 'false', LAZARET_GC_INTERVAL_SECONDS: '0', MALLOC_ARENA_MAX: '2' };
  if (dialect === 'postgres') env.LAZARET_DATABASE_URL = `${PG_URL}?schema=${schema}`;
  const child = spawn(process.execPath, [join(root, 'bin/lazaret.js'), 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const r = await request(`${url}/v2/`);
      await r.body.text();
      if (r.statusCode === 200) break;
    } catch {
      /* starting */
    }
    if (i > 1200 || child.exitCode !== null) throw new Error(`Lazaret did not start (exit ${child.exitCode})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, child, dir, ...(schema ? { schema } : {}) };
}

async function stop(t: Target) {
  t.child.kill('SIGTERM');
  await new Promise((r) => t.child.once('exit', r));
}

async function upload(url: string, repository: string, blob: MemBlob) {
  const r = await request(`${url}/v2/${repository}/blobs/uploads/?digest=${blob.digest}`, { method: 'POST', body: blob.data, headers: { 'content-type': 'application/octet-stream' } });
  await r.body.text();
  if (r.statusCode !== 201) throw new Error(`blob upload: ${r.statusCode}`);
}

async function putManifest(url: string, repository: string, reference: string, m: MemBlob, d: Pool | undefined = undefined) {
  const path = `/v2/${repository}/manifests/${reference}`;
  const options = { method: 'PUT' as const, body: m.data, headers: { 'content-type': MANIFEST_MEDIA_TYPE } };
  const r = d ? await d.request({ path, ...options }) : await request(`${url}${path}`, options);
  await r.body.text();
  if (r.statusCode !== 201) throw new Error(`manifest PUT ${repository}:${reference}: ${r.statusCode}`);
}

/** The template: one real image in the big repository and one in the first small repository. */
async function pushTemplate(url: string): Promise<{ digest: string; config: MemBlob; layer: MemBlob }> {
  const config = imageConfig('scale');
  const layer = { data: Buffer.from('scale layer'), digest: sha256('scale layer') };
  const manifest = imageManifest({ digest: config.digest, size: config.data.length }, [{ digest: layer.digest, size: layer.data.length }]);
  for (const r of [BIG, repo(0)]) {
    await upload(url, r, config);
    await upload(url, r, layer);
    await putManifest(url, r, tag(0), manifest);
  }
  return { digest: manifest.digest, config, layer };
}

/**
 * Copies the template's rows N-1 times with new keys. `keys` maps a column to the SQL that
 * makes its value from the row number `i` (the other columns keep the template's values).
 */
interface Copy { table: string; where: Record<string, string>; keys: Record<string, (i: string) => string>; /** Rows in all, the template's included. */ n: number }

function copies(tags: number, repos: number, dialect: string): Copy[] {
  const hex = dialect === 'sqlite' ? (i: string) => `printf('sha256:%064x', ${i})` : (i: string) => `'sha256:' || lpad(to_hex(${i}), 64, '0')`;
  const pad = dialect === 'sqlite' ? (p: string, i: string) => `printf('${p}%07d', ${i})` : (p: string, i: string) => `'${p}' || lpad(${i}::text, 7, '0')`;
  const small = (i: string) => pad('scale/r', i);
  return [
    // The big repository: one manifest per tag (its blobs are the template's, linked once).
    { table: 'manifests', where: { repository: BIG }, keys: { digest: hex }, n: tags },
    { table: 'manifest_blobs', where: { repository: BIG }, keys: { manifest: hex }, n: tags },
    { table: 'tags', where: { repository: BIG }, keys: { name: (i) => pad('t', i), digest: hex }, n: tags },
    // The other repositories: a copy of the template each.
    { table: 'repositories', where: { name: repo(0) }, keys: { name: small }, n: repos },
    { table: 'blob_links', where: { repository: repo(0) }, keys: { repository: small }, n: repos },
    { table: 'manifests', where: { repository: repo(0) }, keys: { repository: small }, n: repos },
    { table: 'manifest_blobs', where: { repository: repo(0) }, keys: { repository: small }, n: repos },
    { table: 'tags', where: { repository: repo(0) }, keys: { repository: small }, n: repos },
  ];
}

/** The INSERT ... SELECT of one copy, from the template row's column names. */
function copySql(c: Copy, columns: string[], dialect: string): { sql: string; params: string[] } {
  const n = c.n;
  const series = dialect === 'sqlite' ? `(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n} - 1) SELECT i FROM s)` : `generate_series(1, ${n} - 1)`;
  const select = columns.map((col) => (c.keys[col] ? `${c.keys[col]!('s.i')}` : `t."${col}"`)).join(', ');
  const where = Object.keys(c.where).map((k, j) => `t."${k}" = ${dialect === 'sqlite' ? '?' : `$${j + 1}`}`).join(' AND ');
  const from = dialect === 'sqlite' ? `${series} AS s, "${c.table}" AS t` : `${series} AS s(i), "${c.table}" AS t`;
  return { sql: `INSERT INTO "${c.table}" (${columns.map((x) => `"${x}"`).join(', ')}) SELECT ${select} FROM ${from} WHERE ${where}`, params: Object.values(c.where) };
}

async function load(dialect: string, target: Target, tags: number, repos: number): Promise<number> {
  const t0 = performance.now();
  const plan = copies(tags, repos, dialect);
  if (dialect === 'sqlite') {
    const db = new Database(join(target.dir, 'lazaret.db'));
    db.pragma('journal_mode = WAL');
    db.transaction(() => {
      for (const c of plan) {
        const columns = Object.keys(db.prepare(`SELECT * FROM "${c.table}" LIMIT 1`).get() as object);
        const { sql, params } = copySql(c, columns, dialect);
        db.prepare(sql).run(...params);
      }
    })();
    db.exec('ANALYZE');
    db.close();
  } else {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`SET search_path TO "${target.schema}"`);
      await client.query('BEGIN');
      for (const c of plan) {
        const columns = (await client.query(`SELECT * FROM "${c.table}" LIMIT 1`)).fields.map((f) => f.name);
        const { sql, params } = copySql(c, columns, dialect);
        await client.query(sql, params);
      }
      await client.query('COMMIT');
      // VACUUM as well as ANALYZE: millions of fresh rows otherwise have autovacuum working
      // through them while the figures are taken (2026-12-02: a primary-key GET at 121 req/s
      // instead of 2,500), and their pages are not yet all-visible, so index-only scans go to
      // the heap. A registry that has run for a while is in the vacuumed state.
      await client.query('VACUUM (ANALYZE)');
    } finally {
      await client.end();
    }
  }
  return (performance.now() - t0) / 1000;
}

async function dbBytes(dialect: string, target: Target): Promise<number> {
  if (dialect === 'sqlite') return ['lazaret.db', 'lazaret.db-wal'].reduce((n, f) => { try { return n + statSync(join(target.dir, f)).size; } catch { return n; } }, 0);
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const r = await client.query(`SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS n FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = $1 AND c.relkind = 'r'`, [target.schema]);
    return Number(r.rows[0].n);
  } finally {
    await client.end();
  }
}

interface Figure { rate: number; cpuUs: number }

/** Runs `run` for DURATION seconds with IN_FLIGHT in flight. */
async function measure(target: Target, run: (pool: Pool, i: number) => Promise<void>): Promise<Figure> {
  const pool = new Pool(target.url, { connections: IN_FLIGHT, pipelining: 1 });
  const cpu0 = treeCpuSeconds(target.child.pid!);
  let done = 0;
  const until = performance.now() + DURATION * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (performance.now() < until) await run(pool, done++);
  }));
  const rate = done / ((performance.now() - t0) / 1000);
  const cpuUs = ((treeCpuSeconds(target.child.pid!) - cpu0) * 1e6) / Math.max(1, done);
  await pool.close();
  return { rate, cpuUs };
}

/** A request that must answer 200 (its body read in full, as a client would). */
const ok = (method: 'GET' | 'HEAD', path: string, accept?: string) => async (pool: Pool) => {
  const r = await pool.request({ path, method, headers: accept ? { accept } : {} });
  await r.body.arrayBuffer();
  if (r.statusCode !== 200) throw new Error(`${method} ${path}: ${r.statusCode}`);
};
const get = (path: string, accept = MANIFEST_MEDIA_TYPE) => ok('GET', path, accept);
const head = (path: string) => ok('HEAD', path);

function scenarios(template: { digest: string; config: MemBlob; layer: MemBlob }, tags: number, repos: number, putPrefix: string): [string, (pool: Pool, i: number) => Promise<void>][] {
  const mid = tag(Math.floor(tags / 2));
  const end = tag(tags - 101);
  const midRepo = repo(Math.floor(repos / 2));
  return [
    ['manifest GET by tag', get(`/v2/${BIG}/manifests/${tag(0)}`)],
    ['manifest GET by digest', get(`/v2/${BIG}/manifests/${template.digest}`)],
    // The template's layer is linked in every repository of the fixture, as a base image's is.
    ['blob HEAD (linked in every repository)', head(`/v2/${BIG}/blobs/${template.layer.digest}`)],
    ['manifest PUT (new tag)', async (pool, i) => {
      const m = imageManifest({ digest: template.config.digest, size: template.config.data.length }, [{ digest: template.layer.digest, size: template.layer.data.length }], `${putPrefix}-${i}`);
      await putManifest('', BIG, `${putPrefix}-${i}`, m, pool);
    }],
    ['tags list n=100, first page', get(`/v2/${BIG}/tags/list?n=100`, 'application/json')],
    ['tags list n=100, last= middle', get(`/v2/${BIG}/tags/list?n=100&last=${mid}`, 'application/json')],
    ['tags list n=100, last= near the end', get(`/v2/${BIG}/tags/list?n=100&last=${end}`, 'application/json')],
    ['catalog n=100, first page', get('/v2/_catalog?n=100', 'application/json')],
    ['catalog n=100, last= middle', get(`/v2/_catalog?n=100&last=${encodeURIComponent(midRepo)}`, 'application/json')],
    ['acr tags n=100, last= middle', get(`/acr/v1/${BIG}/_tags?n=100&last=${mid}`, 'application/json')],
    ['acr manifests n=100', get(`/acr/v1/${BIG}/_manifests?n=100`, 'application/json')],
    ['acr catalog n=100, last= middle', get(`/acr/v1/_catalog?n=100&last=${encodeURIComponent(midRepo)}`, 'application/json')],
  ];
}

async function fixture(dialect: string, tags: number, repos: number): Promise<{ load: number; bytesPerManifest: number; figures: Map<string, Figure> }> {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-scale-'));
  const schema = dialect === 'postgres' ? `bench_scale_${process.pid}_${tags}` : undefined;
  let target = await start(dialect, dir, schema);
  try {
    const template = await pushTemplate(target.url);
    await stop(target);
    const loadSeconds = await load(dialect, target, tags, repos);
    target = await start(dialect, dir, schema);
    const bytes = await dbBytes(dialect, target);
    const figures = new Map<string, Figure>();
    for (const [name, run] of scenarios(template, tags, repos, `put${tags}`).filter(([n]) => ONLY.length === 0 || ONLY.some((o) => n.includes(o)))) {
      await measure(target, run).catch((err) => { throw new Error(`${name}: ${(err as Error).message}`); });
      figures.set(name, await measure(target, run));
      console.log(`  ${dialect} ${tags.toLocaleString('en')} tags: ${name}: ${figures.get(name)!.rate.toFixed(0)} req/s, ${figures.get(name)!.cpuUs.toFixed(0)} us CPU/request`);
    }
    return { load: loadSeconds, bytesPerManifest: bytes / (tags + repos), figures };
  } finally {
    await stop(target).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    if (schema) {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }
}

for (const dialect of DIALECTS) {
  console.log(`bench --scale: ${dialect}, small ${SMALL.toLocaleString('en')} tags / repositories vs large ${LARGE_TAGS.toLocaleString('en')} tags / ${LARGE_REPOS.toLocaleString('en')} repositories, ${DURATION} s per figure, ${IN_FLIGHT} in flight`);
  const small = await fixture(dialect, SMALL, SMALL);
  const large = await fixture(dialect, LARGE_TAGS, LARGE_REPOS);
  console.log(`\n### ${dialect}: fixture load ${small.load.toFixed(1)} s small, ${large.load.toFixed(1)} s large; database ${small.bytesPerManifest.toFixed(0)} / ${large.bytesPerManifest.toFixed(0)} bytes per manifest (small / large)\n`);
  console.log('| request | small req/s | large req/s | small us CPU | large us CPU | CPU large/small | within 1.5x |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, s] of small.figures) {
    const l = large.figures.get(name)!;
    const ratio = l.cpuUs / s.cpuUs;
    console.log(`| ${name} | ${s.rate.toFixed(0)} | ${l.rate.toFixed(0)} | ${s.cpuUs.toFixed(0)} | ${l.cpuUs.toFixed(0)} | ${ratio.toFixed(2)} | ${ratio <= 1.5 ? 'yes' : '**no**'} |`);
  }
  console.log('');
}
