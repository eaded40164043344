/**
 * The events module's role objects in the MetadataStore (tx.webhooks, tx.outbox,
 * tx.heldPushes). Implemented once in SQL (src/events/store/sql/{webhooks,outbox,held-pushes}.ts)
 * for SQLite and PostgreSQL; the module owns those tables (src/events/store/).
 *
 * Fan-out happens when an event is written: `outbox.append` stores the event together with
 * one `pending` delivery per matching webhook, in the caller's transaction. So the set of
 * receivers is fixed when the change commits (a webhook created later does not receive older
 * events) and the dispatcher only ever claims delivery rows. An event nobody subscribed to is
 * not stored.
 *
 * Delivery states: pending -> delivering (claimed by one dispatcher, with a lease) ->
 * delivered | pending (retry later) | failed (retry budget spent; kept as a dead letter until
 * redelivered or the webhook is deleted). A `delivering` row whose lease expired (its node
 * died) is claimable again, so a crash loses nothing.
 */
import type { EventAction, EventPayload, WebhookAction } from './event-payloads.ts';
import type { RequestFacts } from './manifest-lifecycle.ts';
import type { Page } from '../metadata/metadata-store.ts';

export type WebhookStatus = 'enabled' | 'disabled';

export interface WebhookInput {
  name: string;
  serviceUri: string;
  customHeaders: Record<string, string>;
  status: WebhookStatus;
  scope: string;
  actions: WebhookAction[];
  /** HMAC key; absent = unsigned deliveries. Stored as given (it must be usable to sign). */
  secret?: string;
}

export interface WebhookRecord extends WebhookInput {
  createdAt: Date;
  updatedAt: Date;
}

export interface DeliveryCounts {
  pending: number;
  delivered: number;
  failed: number;
}

export interface WebhookStore {
  /** Creates or replaces (ARM PUT semantics). `created` tells which; createdAt survives a replace. */
  put(input: WebhookInput): Promise<{ created: boolean; record: WebhookRecord }>;
  get(name: string): Promise<WebhookRecord | undefined>;
  /** By name. */
  list(page?: Page): Promise<WebhookRecord[]>;
  /** `secret: null` removes the secret. Undefined when the webhook does not exist. */
  update(name: string, patch: Partial<Omit<WebhookInput, 'name' | 'secret'>> & { secret?: string | null }): Promise<WebhookRecord | undefined>;
  /** Deletes the webhook with its deliveries and attempt log (nothing keeps retrying it). */
  delete(name: string): Promise<boolean>;
  /** Enabled webhooks subscribed to `action` (scope filtering is the caller's). */
  subscribers(action: WebhookAction): Promise<WebhookRecord[]>;
  /** pending counts pending + delivering. Webhooks without deliveries are absent from the map. */
  counts(names: string[]): Promise<Map<string, DeliveryCounts>>;
}

export type DeliveryState = 'pending' | 'delivering' | 'delivered' | 'failed';

/** One logged attempt: what was sent (secrets masked) and what came back. */
export interface AttemptRecord {
  attempt: number;
  startedAt: Date;
  durationMs: number;
  requestUri: string;
  requestHeaders: Record<string, string>;
  /** Absent when no response arrived (connection error, timeout). */
  responseStatus?: number;
  responseReason?: string;
  responseHeaders?: Record<string, string>;
  /** Truncated to a few KiB. */
  responseBody?: string;
  error?: string;
}

export interface DeliveryRecord {
  eventId: string;
  webhook: string;
  action: EventAction;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
  updatedAt: Date;
  payload: EventPayload;
}

export interface DeliveryWithLog extends DeliveryRecord {
  /** Oldest first. */
  log: AttemptRecord[];
}

/** A delivery this dispatcher now owns until `claimedUntil`. */
export interface ClaimedDelivery extends DeliveryRecord {
  claimToken: string;
  claimedUntil: Date;
  /** The webhook's delivery settings as of the claim. */
  target: Pick<WebhookRecord, 'serviceUri' | 'customHeaders' | 'secret'>;
  /** The exact JSON sent (the stored payload text, byte-identical across attempts). */
  body: string;
}

export type AttemptOutcome =
  | { state: 'delivered' }
  | { state: 'pending'; nextAttemptAt: Date }
  | { state: 'failed' };

export interface ClaimOptions {
  now: Date;
  leaseMs: number;
  /** At most this many deliveries. */
  limit: number;
  /** At most this many per webhook, counting `busy` (what this dispatcher already has in flight). */
  perWebhook?: number;
  busy?: ReadonlyMap<string, number>;
}

export interface OutboxStore {
  /** Stores the event and one pending delivery per webhook name (none: nothing is stored). */
  append(event: EventPayload, webhooks: string[], at?: Date): Promise<void>;
  /**
   * Atomically claims up to `limit` due deliveries (pending and due, or delivering with an
   * expired lease) of enabled webhooks (pings regardless of status), setting state
   * delivering, attempts + 1, a fresh claim token and claimedUntil = now + leaseMs. Two
   * dispatchers never get the same row while its lease runs (PostgreSQL: FOR UPDATE SKIP
   * LOCKED; SQLite: one UPDATE ... RETURNING). Oldest due first, skipping webhooks already at
   * `perWebhook` so one dead receiver cannot fill every slot.
   */
  claim(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /**
   * Logs the attempt and moves the delivery to the outcome, only while `claimToken` still owns
   * it. Returns false (and logs nothing) when the claim was lost (lease expired and re-claimed,
   * redelivered, or the webhook was deleted).
   */
  complete(claim: Pick<ClaimedDelivery, 'eventId' | 'webhook' | 'claimToken'>, attempt: AttemptRecord, outcome: AttemptOutcome): Promise<boolean>;
  /** Newest first; `last` is the opaque cursor of the previous page's last item. */
  list(webhook: string, page?: Page): Promise<{ items: DeliveryWithLog[]; next?: string }>;
  get(webhook: string, eventId: string): Promise<DeliveryWithLog | undefined>;
  /** Back to pending, due now, with a fresh retry budget (the log is kept). False when unknown. */
  redeliver(webhook: string, eventId: string, now?: Date): Promise<boolean>;
  /** The earliest nextAttemptAt among pending deliveries (for the dispatcher's sleep). */
  nextDue(): Promise<Date | undefined>;
  /** Deletes delivered deliveries older than `before` and events left without deliveries. */
  prune(before: Date): Promise<number>;
}

/** A push made while its manifest was held, waiting to raise `push` when it is released. */
export interface HeldPush {
  repository: string;
  digest: string;
  /** Undefined for a push by digest. */
  tag?: string;
  mediaType: string;
  size: number;
  request: RequestFacts;
  pushedAt: Date;
}

export interface HeldPushStore {
  /** Remembers the push (idempotent per repository, digest, tag; the latest request wins). */
  remember(push: HeldPush): Promise<void>;
  /** Returns and forgets every held push of the manifest. */
  take(repository: string, digest: string): Promise<HeldPush[]>;
  /** `take` of several manifests of one repository: two statements for all (a digest with none is absent). */
  takeMany(repository: string, digests: readonly string[]): Promise<Map<string, HeldPush[]>>;
  /** Forgets held pushes of a manifest (digest given) or of a whole repository. */
  forget(repository: string, digest?: string): Promise<void>;
}

/** The role objects this module adds to the application's StoreRoles (src/persistence/). */
export interface EventRoles {
  webhooks: WebhookStore;
  outbox: OutboxStore;
  heldPushes: HeldPushStore;
}
