/**
 * Writes an event to the outbox, inside the caller's transaction, with one delivery per
 * matching webhook: enabled, subscribed to the action, and whose scope matches the event's
 * repository and tag (webhook-scope.ts). An event no webhook wants is not stored.
 * Returns the names of the webhooks it was queued for.
 */
import type { EventRoles } from './store/index.ts';

type EventTx = Pick<EventRoles, 'webhooks' | 'outbox'>;
import type { EventPayload } from './event-payloads.ts';
import { eventSubject } from './event-payloads.ts';
import { scopeMatches } from './webhook-scope.ts';

export async function raiseEvent(tx: EventTx, event: EventPayload): Promise<string[]> {
  return (await raiseEvents(tx, [event]))[0]!;
}

/** raiseEvent of several events in order, the subscribers of each action read once (a re-evaluation's batch). Names per event. */
export async function raiseEvents(tx: EventTx, events: readonly EventPayload[]): Promise<string[][]> {
  const subscribersOf = new Map<string, Awaited<ReturnType<EventTx['webhooks']['subscribers']>>>();
  const out: string[][] = [];
  for (const event of events) {
    if (event.action === 'ping') throw new Error('ping events go to one webhook: use queuePing');
    const { repository, tag } = eventSubject(event);
    let subscribers = subscribersOf.get(event.action);
    if (!subscribers) subscribersOf.set(event.action, (subscribers = await tx.webhooks.subscribers(event.action)));
    const names = subscribers.filter((w) => scopeMatches(w.scope, repository, tag)).map((w) => w.name);
    await tx.outbox.append(event, names);
    out.push(names);
  }
  return out;
}

/** Queues a ping for one webhook, whatever its status, actions and scope. */
export async function queuePing(tx: EventTx, webhook: string, event: EventPayload): Promise<void> {
  await tx.outbox.append(event, [webhook]);
}
