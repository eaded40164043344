/**
 * Notifications between the nodes sharing one database: "something changed, look again".
 *
 * A publisher calls `publish(channel)` AFTER its change committed; every node's subscribers of
 * that channel run soon after (this node's at once). A notification carries no data that must
 * not be lost: subscribers re-read the database (invalidate a cache, wake a dispatcher). When
 * notifications may have been missed (the listening connection dropped and came back), every
 * subscriber of every channel is called once, as if each had been notified.
 *
 * Implementations: PostgreSQL LISTEN/NOTIFY (./postgres-notifications.ts) when the metadata
 * store is PostgreSQL; for SQLite, in-process (below) when one process is the whole registry,
 * or relayed by the primary between the workers of `serve --workers` (./worker-notifications.ts).
 * (Other processes sharing one SQLite file, e.g. a CLI, fall back to the subscribers' polling.)
 *
 * Channels (add one here when a module needs it):
 * - `quarantine-policy`: the quarantine policy changed (the gate's policy cache re-reads it).
 * - `auth-settings`: an auth setting changed (anonymous pull: the identity resolver re-reads it).
 * - `events-queued`: the event outbox has new deliveries (webhook dispatchers wake).
 * - `scans-queued`: scan jobs were queued (scan dispatchers wake).
 * - `tag-lists`: a tag, manifest, verdict or repository changed (cached tags-list pages are dropped).
 */
export type Channel = 'quarantine-policy' | 'auth-settings' | 'events-queued' | 'scans-queued' | 'tag-lists';

export const CHANNELS: readonly Channel[] = ['quarantine-policy', 'auth-settings', 'events-queued', 'scans-queued', 'tag-lists'];

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}

export interface Notifications {
  /** Tells every node (this one included). Never throws: a lost notification is covered by polling. */
  publish(channel: Channel): void;
  /** Returns the unsubscribe function. */
  subscribe(channel: Channel, fn: () => void): () => void;
  close(): Promise<void>;
}

/** The subscriber registry both implementations share. */
export function createSubscribers() {
  const subscribers = new Map<Channel, Set<() => void>>();
  const run = (fn: () => void) => {
    try {
      fn();
    } catch {
      // A subscriber's failure is its own; the others still run.
    }
  };
  return {
    add(channel: Channel, fn: () => void) {
      let set = subscribers.get(channel);
      if (!set) subscribers.set(channel, (set = new Set()));
      set.add(fn);
      return () => void set.delete(fn);
    },
    notify(channel: Channel) {
      for (const fn of [...(subscribers.get(channel) ?? [])]) run(fn);
    },
    notifyAll() {
      for (const channel of subscribers.keys()) this.notify(channel);
    },
  };
}

export function createLocalNotifications(): Notifications {
  const subs = createSubscribers();
  return {
    publish: (channel) => queueMicrotask(() => subs.notify(channel)),
    subscribe: (channel, fn) => subs.add(channel, fn),
    async close() {},
  };
}
