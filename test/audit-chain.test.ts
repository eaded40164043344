/**
 * The tamper-evident audit log over real HTTP, on SQLite and on PostgreSQL: an untouched log
 * verifies; a row modified, deleted, moved, rewritten with a fresh hash or slipped in directly
 * in the database is named by GET /api/v1/audit/verify; the export re-verifies line by line;
 * a bad `since` is a 400 in the registry's format; only Owners may verify or export. On
 * PostgreSQL, two nodes appending at once keep one chain.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { entryHash, rowOfExportLine, verifyChain, type ExportLine } from '../src/metadata/audit-chain.ts';
import { dropTestSchema, postgresReachable, skipUnless, TEST_DATABASE_URL } from './helpers/environment.ts';
import { adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import { rawSqlite } from './helpers/raw-db.ts';
import type { TestServer } from './helpers/server.ts';

/** The database under a test server, reached around it (what an attacker with DB access does). */
interface RawDb {
  exec(statements: string): Promise<void>;
  rows<T>(query: string): Promise<T[]>;
  close(): Promise<void>;
}

function sqliteRaw(s: TestServer): RawDb {
  const db = rawSqlite(s.dataDir);
  return {
    async exec(statements) {
      db.exec(statements);
    },
    async rows<T>(query: string) {
      return db.prepare(query).all() as T[];
    },
    async close() {
      db.close();
    },
  };
}

async function postgresRaw(schema: string): Promise<RawDb> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
  await client.connect();
  return {
    async exec(statements) {
      await client.query(statements);
    },
    async rows<T>(query: string) {
      // bigint columns arrive as strings from pg's default parsers
      return (await client.query(query)).rows.map((r) => ({ ...r, seq: r.seq === null ? null : Number(r.seq), at: Number(r.at) })) as T[];
    },
    async close() {
      await client.end();
    },
  };
}

interface Row {
  id: string;
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  before_json: string | null;
  after_json: string | null;
  details_json: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

const json = { authorization: adminAuth(), 'content-type': 'application/json' };

/** An audited change through the API: each rescan request is one `quarantine.rescan` entry. */
async function audited(s: TestServer, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${s.url}/api/v1/quarantine/rescan`, { method: 'POST', headers: json, body: JSON.stringify({ repository: `team/app-${i}` }) });
    assert.equal(res.status, 200, await res.text());
  }
}

async function verify(s: TestServer, auth = adminAuth()) {
  const res = await fetch(`${s.url}/api/v1/audit/verify`, { headers: { authorization: auth } });
  return { status: res.status, body: (await res.json()) as { ok: boolean; entries: number; head: { seq: number; id: string; hash: string } | null; broken?: { id: string; seq: number | null; problem: string; message: string }; errors?: { code: string }[] } };
}

function chainScenario(name: string, skip: string | false, start: () => Promise<{ server: TestServer; raw: RawDb; cleanup(): Promise<void> }>) {
  describe(`audit chain on ${name}`, { skip }, () => {
    let s: TestServer;
    let raw: RawDb;
    let cleanup: () => Promise<void>;
    let rows: Row[];
    const bySeq = (seq: number) => rows.find((r) => r.seq === seq)!;

    before(async () => {
      ({ server: s, raw, cleanup } = await start());
      await createUser(s, 'reader', 'reader-password', [{ role: 'Reader' }]);
      await audited(s, 6);
      rows = await raw.rows<Row>('select * from audit order by seq');
      assert.ok(rows.length >= 6);
    });
    after(async () => {
      await raw?.close();
      await s?.close();
      await cleanup?.();
    });

    /** Tampers, checks what verify says, then puts the table back as it was. */
    async function tampered(statements: string) {
      await raw.exec('create table audit_backup as select * from audit');
      try {
        await raw.exec(statements);
        return await verify(s);
      } finally {
        await raw.exec('delete from audit; insert into audit select * from audit_backup; drop table audit_backup');
      }
    }

    test('an untouched log verifies; the head is the newest entry', async () => {
      const { status, body } = await verify(s);
      assert.equal(status, 200);
      const newest = rows.at(-1)!;
      assert.deepEqual(body, { ok: true, entries: rows.length, head: { seq: newest.seq, id: newest.id, hash: newest.hash } });
    });

    test('a modified row is named, as a hash mismatch', async () => {
      const target = bySeq(3);
      const { body } = await tampered(`update audit set details_json = '{"states":["absent"],"requested":999}' where seq = 3`);
      assert.equal(body.ok, false);
      assert.deepEqual({ id: body.broken!.id, seq: body.broken!.seq, problem: body.broken!.problem }, { id: target.id, seq: 3, problem: 'hash-mismatch' });
      assert.match(body.broken!.message, new RegExp(`entry ${target.id} \\(seq 3\\) was modified`));
      assert.equal(body.entries, 2, 'the two entries before it verified');
    });

    test('a modified actor or time is named too', async () => {
      assert.equal((await tampered(`update audit set actor = 'someone-else' where seq = 2`)).body.broken?.id, bySeq(2).id);
      assert.equal((await tampered(`update audit set at = at + 1 where seq = 4`)).body.broken?.id, bySeq(4).id);
    });

    test('a row rewritten with a hash recomputed for it breaks the next link', async () => {
      const row = bySeq(3);
      const details = '{"states":["absent"],"requested":0,"forged":true}';
      const hash = entryHash({ seq: 3, id: row.id, at: row.at, actor: row.actor, action: row.action, target: row.target, beforeJson: row.before_json, afterJson: row.after_json, detailsJson: details, requestId: row.request_id, prevHash: row.prev_hash });
      const { body } = await tampered(`update audit set details_json = '${details}', hash = '${hash}' where seq = 3`);
      assert.equal(body.broken?.problem, 'link-mismatch');
      assert.equal(body.broken?.id, bySeq(4).id);
      assert.match(body.broken!.message, new RegExp(`does not link to entry ${row.id} \\(seq 3\\)`));
    });

    test('a deleted row is named: the entry after the gap, and the seq that is missing', async () => {
      const { body } = await tampered('delete from audit where seq = 3');
      assert.equal(body.broken?.problem, 'missing-entry');
      assert.equal(body.broken?.id, bySeq(4).id);
      assert.match(body.broken!.message, new RegExp(`seq 3 is missing \\(deleted\\): the chain jumps from entry ${bySeq(2).id} \\(seq 2\\) to entry ${bySeq(4).id} \\(seq 4\\)`));
      const first = await tampered('delete from audit where seq = 1');
      assert.equal(first.body.broken?.problem, 'missing-entry');
      assert.match(first.body.broken!.message, /seq 1 is missing \(deleted\): the chain jumps from the start of the log/);
    });

    test('reordered rows are named', async () => {
      const { body } = await tampered('update audit set seq = -1 where seq = 2; update audit set seq = 2 where seq = 3; update audit set seq = 3 where seq = -1');
      assert.equal(body.ok, false);
      assert.equal(body.broken?.id, bySeq(3).id, 'the entry moved into place 2');
      assert.equal(body.broken?.seq, 2);
    });

    test('a row slipped in around the registry (no place in the chain) is named as unchained', async () => {
      const { body } = await tampered(`insert into audit (id, at, actor, action, target) values ('forged-entry', ${Date.now()}, 'admin', 'verdict.change', 'team/app@sha256:${'0'.repeat(64)}')`);
      assert.deepEqual({ ok: body.ok, id: body.broken?.id, seq: body.broken?.seq, problem: body.broken?.problem }, { ok: false, id: 'forged-entry', seq: null, problem: 'unchained' });
    });

    test('after the table is put back it verifies again', async () => {
      assert.equal((await verify(s)).body.ok, true);
    });

    test('the export streams JSON lines with the chain fields, and they re-verify', async () => {
      const res = await fetch(`${s.url}/api/v1/audit/export`, { headers: { authorization: adminAuth() } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/x-ndjson/);
      const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as ExportLine);
      assert.deepEqual(lines.map((l) => l.seq), rows.map((r) => r.seq));
      assert.deepEqual(Object.keys(lines[1]!), ['seq', 'id', 'at', 'actor', 'action', 'target', 'details', 'requestId', 'prevHash', 'hash']);
      const report = await verifyChain(lines.map(rowOfExportLine));
      assert.deepEqual(report, { ok: true, entries: rows.length, head: { seq: rows.at(-1)!.seq, id: rows.at(-1)!.id, hash: rows.at(-1)!.hash } });
      // A line changed after export no longer verifies (what a SIEM checks).
      const forged = lines.map((l) => (l.seq === 2 ? { ...l, actor: 'nobody' } : l));
      assert.equal((await verifyChain(forged.map(rowOfExportLine))).broken?.id, bySeq(2).id);
    });

    test('export since a time starts at the first entry written then, linked to the one before', async () => {
      const cut = new Date(bySeq(4).at).toISOString();
      const res = await fetch(`${s.url}/api/v1/audit/export?since=${encodeURIComponent(cut)}`, { headers: { authorization: adminAuth() } });
      const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as ExportLine);
      const first = rows.find((r) => r.at >= bySeq(4).at)!;
      assert.equal(lines[0]!.seq, first.seq);
      assert.equal(lines[0]!.prevHash, bySeq(first.seq - 1).hash);
      assert.equal((await verifyChain(lines.map(rowOfExportLine), { seq: lines[0]!.seq, prevHash: lines[0]!.prevHash })).ok, true);
      const future = await fetch(`${s.url}/api/v1/audit/export?since=2999-01-01`, { headers: { authorization: adminAuth() } });
      assert.equal(future.status, 200);
      assert.equal(await future.text(), '');
    });

    test('a bad since is a 400 in the registry format naming the field', async () => {
      for (const since of ['yesterday', '2026-13-45', '2026-01-31T12:00:00', '1']) {
        const res = await fetch(`${s.url}/api/v1/audit/export?since=${encodeURIComponent(since)}`, { headers: { authorization: adminAuth() } });
        assert.equal(res.status, 400, since);
        const body = (await res.json()) as { errors: { code: string; message: string; detail: unknown }[] };
        assert.equal(body.errors[0]!.code, 'BAD_REQUEST');
        assert.match(body.errors[0]!.message, /^since must be a date/);
        assert.deepEqual(body.errors[0]!.detail, { field: 'since' });
      }
    });

    test('a Reader (audit read, not Owner) may neither verify nor export', async () => {
      const reader = basicAuth('reader', 'reader-password');
      const v = await verify(s, reader);
      assert.equal(v.status, 403);
      assert.equal(v.body.errors?.[0]?.code, 'DENIED');
      const e = await fetch(`${s.url}/api/v1/audit/export`, { headers: { authorization: reader } });
      assert.equal(e.status, 403);
      assert.equal(((await e.json()) as { errors: { code: string }[] }).errors[0]!.code, 'DENIED');
    });
  });
}

chainScenario('SQLite', false, async () => {
  const server = await startTokenServer();
  return { server, raw: sqliteRaw(server), cleanup: async () => undefined };
});

const pgSkip = skipUnless(await postgresReachable(), `PostgreSQL not reachable at ${TEST_DATABASE_URL}`);
const urlFor = (schema: string) => `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;

chainScenario('PostgreSQL', pgSkip, async () => {
  const schema = `audit_chain_${randomBytes(4).toString('hex')}`;
  const server = await startTokenServer({ databaseUrl: urlFor(schema) });
  return { server, raw: await postgresRaw(schema), cleanup: () => dropTestSchema(schema) };
});

describe('two nodes on one PostgreSQL appending at once keep one chain', { skip: pgSkip }, () => {
  const schema = `audit_nodes_${randomBytes(4).toString('hex')}`;
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    const overrides = { databaseUrl: urlFor(schema), service: 'registry.test' };
    [a, b] = await Promise.all([startTokenServer(overrides), startTokenServer(overrides)]);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await dropTestSchema(schema);
  });

  test('40 audited requests at once, half to each node: every one chained, the chain verifies', async () => {
    const before = (await verify(a)).body.entries;
    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${(i % 2 ? a : b).url}/api/v1/quarantine/rescan`, { method: 'POST', headers: json, body: JSON.stringify({ repository: `team/node-${i}` }) }).then((r) => r.status),
      ),
    );
    assert.deepEqual(new Set(statuses), new Set([200]));
    const fromA = await verify(a);
    assert.equal(fromA.body.ok, true, fromA.body.broken?.message);
    assert.equal(fromA.body.entries, before + 40);
    assert.deepEqual((await verify(b)).body, fromA.body);
  });
});
