/**
 * Table types of the events area (migration 004-events): webhooks, the event outbox, one
 * delivery row per (event, webhook), the attempt log, and pushes waiting for their manifest's
 * release. Contract: src/events/event-store.ts.
 */
import type { CoreTables } from '../../metadata/tables/index.ts';
export interface WebhooksTable {
  name: string;
  service_uri: string;
  /** JSON object of header name -> value. */
  custom_headers: string;
  /** enabled | disabled */
  status: string;
  scope: string;
  /** JSON array of actions. */
  actions: string;
  secret: string | null;
  created_at: number;
  updated_at: number;
}

export interface EventOutboxTable {
  id: string;
  action: string;
  /** The exact JSON body sent to receivers. */
  payload: string;
  created_at: number;
}

export interface WebhookDeliveriesTable {
  event_id: string;
  webhook: string;
  action: string;
  /** pending | delivering | delivered | failed */
  state: string;
  attempts: number;
  next_attempt_at: number;
  claimed_by: string | null;
  claimed_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookAttemptsTable {
  id: string;
  event_id: string;
  webhook: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  request_uri: string;
  /** JSON object, secrets masked. */
  request_headers: string;
  response_status: number | null;
  response_reason: string | null;
  /** JSON object or null. */
  response_headers: string | null;
  response_body: string | null;
  error: string | null;
}

export interface EventHeldPushesTable {
  repository: string;
  digest: string;
  /** '' for a push by digest (part of the primary key, so not null). */
  tag: string;
  media_type: string;
  size: number;
  /** JSON RequestFacts of the push. */
  request: string;
  pushed_at: number;
}

export interface EventsTables {
  webhooks: WebhooksTable;
  event_outbox: EventOutboxTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  event_held_pushes: EventHeldPushesTable;
}

/** What the events SQL sees: its own tables and the content core's. */
export interface EventsDatabase extends CoreTables, EventsTables {}
