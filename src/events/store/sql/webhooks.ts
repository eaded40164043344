/** The webhook role object (contract: src/events/event-store.ts) on Kysely, for both dialects. */
import type { Kysely } from 'kysely';
import { isPostgres } from '../../../metadata/migrations/helpers.ts';
import type { EventsDatabase as Database, WebhooksTable } from '../tables.ts';
import type { DeliveryCounts, WebhookRecord, WebhookStore } from '../../event-store.ts';
import type { WebhookAction } from '../../event-payloads.ts';

const MAX_PAGE = 1000;

function toRecord(row: WebhooksTable): WebhookRecord {
  return {
    name: row.name,
    serviceUri: row.service_uri,
    customHeaders: JSON.parse(row.custom_headers) as Record<string, string>,
    status: row.status as WebhookRecord['status'],
    scope: row.scope,
    actions: JSON.parse(row.actions) as WebhookAction[],
    ...(row.secret !== null ? { secret: row.secret } : {}),
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  };
}

export function createWebhookStore(db: Kysely<Database>): WebhookStore {
  const postgres = isPostgres(db);
  async function get(name: string) {
    const row = await db.selectFrom('webhooks').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  return {
    get,

    async put(input) {
      const previous = await get(input.name);
      const now = Date.now();
      const values = {
        service_uri: input.serviceUri,
        custom_headers: JSON.stringify(input.customHeaders),
        status: input.status,
        scope: input.scope,
        actions: JSON.stringify(input.actions),
        secret: input.secret ?? null,
        updated_at: now,
      };
      if (previous) await db.updateTable('webhooks').set(values).where('name', '=', input.name).execute();
      else await db.insertInto('webhooks').values({ name: input.name, ...values, created_at: now }).execute();
      return { created: !previous, record: (await get(input.name))! };
    },

    async list(page = {}) {
      const n = Math.max(1, Math.min(page.n ?? 100, MAX_PAGE));
      let q = db.selectFrom('webhooks').selectAll().orderBy('name').limit(n);
      if (page.last !== undefined) q = q.where('name', '>', page.last);
      return (await q.execute()).map(toRecord);
    },

    async update(name, patch) {
      const set: Partial<WebhooksTable> = { updated_at: Date.now() };
      if (patch.serviceUri !== undefined) set.service_uri = patch.serviceUri;
      if (patch.customHeaders !== undefined) set.custom_headers = JSON.stringify(patch.customHeaders);
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.scope !== undefined) set.scope = patch.scope;
      if (patch.actions !== undefined) set.actions = JSON.stringify(patch.actions);
      if (patch.secret !== undefined) set.secret = patch.secret;
      const result = await db.updateTable('webhooks').set(set).where('name', '=', name).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      return get(name);
    },

    async delete(name) {
      // Explicit child deletes: SQLite only cascades with foreign_keys=ON, and this must hold
      // whatever the connection's pragmas.
      await db.deleteFrom('webhook_attempts').where('webhook', '=', name).execute();
      await db.deleteFrom('webhook_deliveries').where('webhook', '=', name).execute();
      const result = await db.deleteFrom('webhooks').where('name', '=', name).executeTakeFirst();
      // Events left without any delivery are no longer needed.
      await db
        .deleteFrom('event_outbox')
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('webhook_deliveries').select('event_id').whereRef('webhook_deliveries.event_id', '=', 'event_outbox.id'))),
        )
        .execute();
      return Number(result.numDeletedRows) > 0;
    },

    async subscribers(action) {
      let q = db.selectFrom('webhooks').selectAll().where('status', '=', 'enabled').orderBy('name');
      // Inside a push's transaction on PostgreSQL: a shared lock, so a concurrent webhook delete
      // waits for the push instead of making its delivery insert fail the push (foreign key).
      // Pushes do not block each other. SQLite serialises writers anyway.
      if (postgres) q = q.forShare();
      const rows = await q.execute();
      return rows.map(toRecord).filter((w) => w.actions.includes(action));
    },

    async counts(names) {
      const out = new Map<string, DeliveryCounts>();
      if (names.length === 0) return out;
      const rows = await db
        .selectFrom('webhook_deliveries')
        .select(['webhook', 'state', (eb) => eb.fn.countAll<number>().as('n')])
        .where('webhook', 'in', names)
        .groupBy(['webhook', 'state'])
        .execute();
      for (const row of rows) {
        const c = out.get(row.webhook) ?? { pending: 0, delivered: 0, failed: 0 };
        const n = Number(row.n);
        if (row.state === 'delivered') c.delivered += n;
        else if (row.state === 'failed') c.failed += n;
        else c.pending += n;
        out.set(row.webhook, c);
      }
      return out;
    },
  };
}
