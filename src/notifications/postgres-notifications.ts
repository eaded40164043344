/**
 * Notifications over PostgreSQL LISTEN/NOTIFY (contract: ./notifications.ts).
 *
 * One dedicated connection per node LISTENs on every channel and also sends the NOTIFYs (a
 * NOTIFY outside a transaction is delivered at once, to every listener including this one).
 * Channel names are prefixed with the schema (`lazaret_<schema>_<channel>`), so registries
 * sharing a database in different schemas (tests, staging) do not wake each other.
 *
 * When the connection drops it is reopened with backoff (0.5 s doubling to 30 s); after a
 * reconnect every subscriber runs once, since notifications sent meanwhile were missed.
 * `publish` while disconnected is dropped: subscribers also poll, the notification only makes
 * them faster.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { CHANNELS, createSubscribers, type Channel, type Notifications } from './notifications.ts';

export interface PostgresNotificationsOptions {
  connectionString: string;
  schema?: string;
  logger?: Logger;
}

export async function createPostgresNotifications(options: PostgresNotificationsOptions): Promise<Notifications> {
  const subs = createSubscribers();
  const prefix = `lazaret_${(options.schema ?? 'public').toLowerCase()}_`.replace(/[^a-z0-9_]/g, '_');
  const pgChannel = (c: Channel) => `${prefix}${c.replace(/-/g, '_')}`;
  const byPgChannel = new Map(CHANNELS.map((c) => [pgChannel(c), c]));
  let client: pg.Client | undefined;
  let closed = false;
  let delay = 500;
  let timer: NodeJS.Timeout | undefined;
  /** Publishes run one after another; channels queued and not sent yet. */
  let sending: Promise<void> = Promise.resolve();
  const waiting = new Set<Channel>();

  async function connect(first: boolean): Promise<void> {
    const c = new pg.Client({ connectionString: options.connectionString, application_name: 'lazaret-notifications' });
    c.on('notification', (msg) => {
      const channel = byPgChannel.get(msg.channel);
      if (channel) subs.notify(channel);
    });
    c.on('error', (err) => {
      options.logger?.warn({ err }, 'notifications connection lost; reconnecting');
      lost(c);
    });
    c.on('end', () => lost(c));
    await c.connect();
    for (const channel of CHANNELS) await c.query(`LISTEN ${pgChannel(channel)}`);
    // close() may have run while this reconnect was under way: the new connection would then
    // outlive it and keep the process alive (seen as a test file that never exited).
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    delay = 500;
    if (!first) subs.notifyAll();
  }

  function lost(c: pg.Client) {
    if (client !== c) return;
    client = undefined;
    c.end().catch(() => undefined);
    schedule();
  }

  function schedule() {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (closed) return;
      connect(false).catch(() => {
        delay = Math.min(delay * 2, 30_000);
        schedule();
      });
    }, delay);
    timer.unref();
  }

  await connect(true);

  return {
    publish(channel) {
      // One query at a time on the connection (pg deprecates overlapping queries on one client),
      // and a channel already waiting to be sent is not queued twice: the waiting NOTIFY goes
      // out after this change committed, which is all a subscriber needs. One already sent is
      // not enough (it may have been read before this change), so it does not count.
      if (!client || waiting.has(channel)) return;
      waiting.add(channel);
      sending = sending.then(async () => {
        waiting.delete(channel);
        const c = client;
        if (!c) return;
        await c.query('select pg_notify($1, $2)', [pgChannel(channel), '']).catch((err) => options.logger?.warn({ err, channel }, 'could not publish a notification'));
      });
    },
    subscribe: (channel, fn) => subs.add(channel, fn),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
