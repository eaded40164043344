/**
 * Notifications between the workers of one `lazaret serve --workers N` on SQLite (contract:
 * ./notifications.ts): a publish runs this worker's subscribers at once and goes to the
 * primary over the cluster's IPC channel, which hands it to every other worker
 * (src/cluster/workers.ts). On PostgreSQL every worker LISTENs itself and this is not used.
 */
import { createSubscribers, isChannel, type Notifications } from './notifications.ts';
import type { WorkerMessage } from '../cluster/workers.ts';

export function createWorkerNotifications(): Notifications {
  const subs = createSubscribers();
  const onMessage = (m: unknown) => {
    const message = m as { lazaret?: unknown; channel?: unknown } | null;
    if (message?.lazaret === 'notify' && isChannel(message.channel)) subs.notify(message.channel);
  };
  process.on('message', onMessage);
  return {
    publish(channel) {
      queueMicrotask(() => subs.notify(channel));
      // Never throws: a worker whose primary is gone is about to exit anyway.
      if (process.connected) process.send?.({ lazaret: 'notify', channel } satisfies WorkerMessage, undefined, undefined, () => undefined);
    },
    subscribe: (channel, fn) => subs.add(channel, fn),
    async close() {
      process.off('message', onMessage);
    },
  };
}
