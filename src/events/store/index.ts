/**
 * The events module's persistence: webhooks, the event outbox with its deliveries and attempt
 * log, and pushes waiting for their manifest's release (contract: ../event-store.ts; tables:
 * tables.ts; migration 004-events; conformance section: suite.ts).
 */
import type { ModuleStore } from '../../metadata/module-store.ts';
import type { EventRoles } from '../event-store.ts';
import * as events004 from './migrations/004-events.ts';
import { createHeldPushStore } from './sql/held-pushes.ts';
import { createOutboxStore } from './sql/outbox.ts';
import { createWebhookStore } from './sql/webhooks.ts';

export type { EventRoles };
export type { EventsTables } from './tables.ts';

export const eventsStore: ModuleStore<EventRoles> = {
  name: 'events',
  migrations: [['004-events', events004]],
  createRoles: (db) => ({
    webhooks: createWebhookStore(db),
    outbox: createOutboxStore(db),
    heldPushes: createHeldPushStore(db),
  }),
};
