/**
 * `node --import tsx bench/history.ts [--entries N] [--images N] [--rounds N] [--dialect sqlite|postgres|both]`:
 * what reading one image's audit entries costs as the audit log grows (the image's history,
 * docs/release-policy.md "An image's history"), and what an audit append costs a push. Not part
 * of `npm run bench`.
 *
 * The store is real (SQLite in a temp dir, or a fresh PostgreSQL schema) and holds `--entries`
 * audit entries (default 200,000) over `--images` targets (default 20,000: ten entries per image,
 * what a push, a scan and a few verdicts leave). Timed, median of `--rounds` (default 50), each
 * round a different image:
 * - exact: `audit.list({ target })`, what the history reads (index audit_target, migration 018);
 * - prefix: `audit.list({ targetPrefix })`, the operator's search of GET /api/v1/audit, which
 *   has no index (the way a history would have read without migration 018);
 * - append: one `audit.append` in its own transaction (the chain's head read, hash, insert),
 *   what every push now adds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore, openSqliteStore, type MetadataStore } from '../src/persistence/index.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const ENTRIES = Number(arg('entries', '200000'));
const IMAGES = Number(arg('images', '20000'));
const ROUNDS = Number(arg('rounds', '50'));
const DIALECTS = arg('dialect', 'both') === 'both' ? ['sqlite', 'postgres'] : [arg('dialect', 'sqlite')];
const PG_URL = process.env.LAZARET_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const target = (i: number) => `bench/r${i % 100}@sha256:${i.toString(16).padStart(64, '0')}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function fill(store: MetadataStore) {
  const started = Date.now();
  const BATCH = 1000;
  for (let done = 0; done < ENTRIES; done += BATCH) {
    await store.transaction(async (tx) => {
      for (let i = done; i < Math.min(ENTRIES, done + BATCH); i++) await tx.audit.append({ actor: 'bench', action: i % 3 ? 'verdict.change' : 'manifest.push', target: target(i % IMAGES), after: { n: i } });
    });
  }
  return (Date.now() - started) / 1000;
}

async function run(dialect: string) {
  let store: MetadataStore;
  let cleanup: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'lazaret-bench-history-'));
    store = await openSqliteStore(join(dir, 'metadata.db'));
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const schema = `lazaret_bench_history_${randomBytes(4).toString('hex')}`;
    store = await openPostgresStore({ connectionString: PG_URL, schema });
    cleanup = async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    };
  }
  try {
    const filled = await fill(store);
    const exact: number[] = [];
    const prefix: number[] = [];
    const append: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t = target((r * 7919) % IMAGES);
      let a = 0;
      let b = 0;
      exact.push(await time(async () => (a = (await store.audit.list({ target: t, n: 1000 })).length)));
      prefix.push(await time(async () => (b = (await store.audit.list({ targetPrefix: t, n: 1000 })).length)));
      if (a !== b || a === 0) throw new Error(`${t}: exact found ${a}, prefix ${b}: the two reads must agree`);
      append.push(await time(() => store.audit.append({ actor: 'bench', action: 'manifest.push', target: t })));
    }
    console.log(`${dialect}: ${ENTRIES} entries over ${IMAGES} images (filled in ${filled.toFixed(1)} s); median of ${ROUNDS}: one image's entries exact ${median(exact).toFixed(2)} ms, by prefix ${median(prefix).toFixed(2)} ms; one append ${median(append).toFixed(2)} ms`);
  } finally {
    await store.close();
    await cleanup();
  }
}

for (const d of DIALECTS) await run(d);
