/**
 * PostgreSQL going away in the middle of a query (a restart, a failover, a cut network) must
 * fail that query, not the process: pg emits an 'error' event on a checked-out client as well
 * as rejecting its query, and an unhandled 'error' event is an uncaught exception (the test
 * runner fails the test on one, as a production process would crash). Real PostgreSQL behind
 * a TCP proxy the test cuts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openPostgres } from '../src/metadata/db.ts';
import { TEST_DATABASE_URL, postgresReachable, skipUnless } from './helpers/environment.ts';
import { startTcpProxy } from './helpers/tcp-proxy.ts';

test('a query in flight when the connection drops rejects; the process lives; queries work again after', { skip: skipUnless(await postgresReachable(), `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) }, async () => {
  const target = new URL(TEST_DATABASE_URL);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const viaProxy = new URL(TEST_DATABASE_URL);
  viaProxy.port = String(proxy.port);
  const db = await openPostgres({ connectionString: viaProxy.toString() });
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    const slow = sql`select pg_sleep(5)`.execute(db);
    await new Promise((r) => setTimeout(r, 300)); // the query is running on the server
    await proxy.cut();
    await assert.rejects(slow, /Connection terminated/);
    await new Promise((r) => setTimeout(r, 100)); // an 'error' event would have fired by now
    assert.deepEqual(uncaught, [], 'no uncaught exception');
    await proxy.restore();
    let answer: unknown;
    for (let i = 0; i < 3 && answer === undefined; i++) {
      // The pool may hand back the one client that died with the cut before it notices.
      answer = await sql<{ one: number }>`select 1 as one`.execute(db).then((r) => r.rows[0]?.one, () => undefined);
    }
    assert.equal(answer, 1, 'queries work again once the database is back');
  } finally {
    process.off('uncaughtException', onUncaught);
    await db.destroy().catch(() => undefined);
    await proxy.cut();
  }
});
