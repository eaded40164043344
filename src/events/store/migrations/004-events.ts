/**
 * 004-events: webhooks, the event outbox, deliveries (one per event and webhook), the attempt
 * log, and held pushes (src/events/store/tables.ts). Schema builder only: both dialects.
 *
 * Deliveries and attempts reference their webhook ON DELETE CASCADE, so deleting a webhook
 * stops every retry at once; they reference the outbox event likewise.
 */
import type { Kysely } from 'kysely';
import { keyText } from '../../../metadata/migrations/helpers.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const key = keyText(db);

  await db.schema
    .createTable('webhooks')
    .addColumn('name', key, (c) => c.primaryKey())
    .addColumn('service_uri', 'text', (c) => c.notNull())
    .addColumn('custom_headers', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('actions', 'text', (c) => c.notNull())
    .addColumn('secret', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('event_outbox')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('event_id', key, (c) => c.notNull().references('event_outbox.id').onDelete('cascade'))
    .addColumn('webhook', key, (c) => c.notNull().references('webhooks.name').onDelete('cascade'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['event_id', 'webhook'])
    .execute();
  // The dispatcher's claim scans due rows by state and time.
  await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute();
  // The delivery log of one webhook, newest first.
  await db.schema.createIndex('webhook_deliveries_log').on('webhook_deliveries').columns(['webhook', 'created_at', 'event_id']).execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('event_id', key, (c) => c.notNull())
    .addColumn('webhook', key, (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('request_uri', 'text', (c) => c.notNull())
    .addColumn('request_headers', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_reason', 'text')
    .addColumn('response_headers', 'text')
    .addColumn('response_body', 'text')
    .addColumn('error', 'text')
    .addForeignKeyConstraint('webhook_attempts_delivery_fk', ['event_id', 'webhook'], 'webhook_deliveries', ['event_id', 'webhook'], (c) =>
      c.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('webhook_attempts_delivery').on('webhook_attempts').columns(['event_id', 'webhook', 'attempt']).execute();

  await db.schema
    .createTable('event_held_pushes')
    .addColumn('repository', key, (c) => c.notNull())
    .addColumn('digest', key, (c) => c.notNull())
    .addColumn('tag', key, (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('pushed_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('event_held_pushes_pk', ['repository', 'digest', 'tag'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['event_held_pushes', 'webhook_attempts', 'webhook_deliveries', 'event_outbox', 'webhooks']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
