/**
 * LISTEN/NOTIFY between nodes on a real PostgreSQL: delivery to every node of the schema (the
 * publisher too), none to another schema, and "look again" for everyone after the listening
 * connection was killed.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresNotifications } from './postgres-notifications.ts';
import type { Channel, Notifications } from './notifications.ts';
import { postgresReachable, skipUnless, TEST_DATABASE_URL } from '../../test/helpers/environment.ts';

/** Resolves when `fn`'s subscription to `channel` runs; rejects after 10 s (a bound, not a timing check). */
function next(n: Notifications, channel: Channel): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${channel} notification within 10 s`)), 10_000);
    const off = n.subscribe(channel, () => {
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

describe('PostgreSQL notifications', { skip: skipUnless(await postgresReachable(), `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) }, () => {
  const schema = `lazaret_notify_${randomBytes(4).toString('hex')}`;
  const opened: Notifications[] = [];
  const open = async (s = schema) => {
    const n = await createPostgresNotifications({ connectionString: TEST_DATABASE_URL, schema: s });
    opened.push(n);
    return n;
  };
  after(async () => {
    for (const n of opened) await n.close();
  });

  test('a publish reaches every node of the schema, the publisher included, and no other schema', async () => {
    const [a, b, other] = [await open(), await open(), await open(`${schema}_other`)];
    let otherHeard = 0;
    other.subscribe('quarantine-policy', () => otherHeard++);
    const heard = Promise.all([next(a, 'quarantine-policy'), next(b, 'quarantine-policy')]);
    a.publish('quarantine-policy');
    await heard;
    // A later notification on the other schema's own channel proves it was listening all along.
    const own = next(other, 'events-queued');
    other.publish('events-queued');
    await own;
    assert.equal(otherHeard, 0);
  });

  test('after the listening connection is killed, it comes back and every subscriber looks again', async () => {
    const n = await open();
    const lookAgain = Promise.all([next(n, 'quarantine-policy'), next(n, 'events-queued')]);
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const r = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'lazaret-notifications' and query like $1`, [`%lazaret_${schema}_%`]);
      assert.ok(r.rowCount && r.rowCount > 0, 'the listener connection was found and killed');
    } finally {
      await admin.end();
    }
    await lookAgain;
    // And it listens again.
    const again = next(n, 'scans-queued');
    n.publish('scans-queued');
    await again;
  });
});
