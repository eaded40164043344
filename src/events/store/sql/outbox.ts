/**
 * The outbox role object (contract: src/events/event-store.ts) on Kysely, for both dialects.
 *
 * Claiming picks candidates (oldest due first, at most `perWebhook` per webhook) and then
 * claims them in ONE statement, atomic on both databases:
 *   UPDATE webhook_deliveries SET state='delivering', claimed_by=<token>, ...
 *   WHERE (event_id, webhook) IN (SELECT ... candidates still due ... [FOR UPDATE SKIP LOCKED])
 *   RETURNING event_id, webhook
 * On PostgreSQL the sub-select locks the rows and skips rows another node is claiming right
 * now, so several nodes sharing one database never claim the same delivery; the due condition
 * is re-checked on the newest row version, so a row another node claimed and committed a
 * moment ago (state delivering, lease running) is not taken again. SQLite has one writer.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { EventsDatabase as Database, WebhookAttemptsTable, WebhookDeliveriesTable } from '../tables.ts';
import type { AttemptRecord, ClaimOptions, ClaimedDelivery, DeliveryRecord, DeliveryState, DeliveryWithLog, OutboxStore } from '../../event-store.ts';
import type { EventAction, EventPayload } from '../../event-payloads.ts';
import { isPostgres } from '../../../metadata/migrations/helpers.ts';

const MAX_PAGE = 100;

type DeliveryRow = WebhookDeliveriesTable & { payload: string };

function toDelivery(row: DeliveryRow): DeliveryRecord {
  return {
    eventId: row.event_id,
    webhook: row.webhook,
    action: row.action as EventAction,
    state: row.state as DeliveryState,
    attempts: Number(row.attempts),
    nextAttemptAt: new Date(Number(row.next_attempt_at)),
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    payload: JSON.parse(row.payload) as EventPayload,
  };
}

function toAttempt(row: WebhookAttemptsTable): AttemptRecord {
  const out: AttemptRecord = {
    attempt: Number(row.attempt),
    startedAt: new Date(Number(row.started_at)),
    durationMs: Number(row.duration_ms),
    requestUri: row.request_uri,
    requestHeaders: JSON.parse(row.request_headers) as Record<string, string>,
  };
  if (row.response_status !== null) out.responseStatus = Number(row.response_status);
  if (row.response_reason !== null) out.responseReason = row.response_reason;
  if (row.response_headers !== null) out.responseHeaders = JSON.parse(row.response_headers) as Record<string, string>;
  if (row.response_body !== null) out.responseBody = row.response_body;
  if (row.error !== null) out.error = row.error;
  return out;
}

const encodeCursor = (d: DeliveryRecord) => Buffer.from(JSON.stringify([d.createdAt.getTime(), d.eventId])).toString('base64url');

function decodeCursor(cursor: string): [number, string] | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isFinite(v[0]) && typeof v[1] === 'string') return v as [number, string];
  } catch {
    /* fall through */
  }
  return undefined;
}

export function createOutboxStore(db: Kysely<Database>): OutboxStore {
  const postgres = isPostgres(db);

  const deliveries = () =>
    db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('event_outbox as e', 'e.id', 'd.event_id')
      .selectAll('d')
      .select('e.payload');

  async function withLogs(webhook: string, items: DeliveryRecord[]): Promise<DeliveryWithLog[]> {
    if (items.length === 0) return [];
    const rows = await db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('webhook', '=', webhook)
      .where('event_id', 'in', items.map((d) => d.eventId))
      .orderBy('started_at')
      .orderBy('id')
      .execute();
    return items.map((d) => ({ ...d, log: rows.filter((r) => r.event_id === d.eventId).map(toAttempt) }));
  }

  async function claimRound({ now, leaseMs, limit, perWebhook = limit, busy = new Map<string, number>() }: ClaimOptions): Promise<{ claimed: ClaimedDelivery[]; hadCandidates: boolean }> {
    const token = randomUUID();
    const t = now.getTime();
    const atCap = [...busy].filter(([, n]) => n >= perWebhook).map(([name]) => name);
    // 1. Candidates, oldest due first, without locks (a few more than needed, so the
    //    per-webhook cap can skip some and still fill the batch).
    let q = db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.name', 'd.webhook')
      .select(['d.event_id', 'd.webhook'])
      .where((eb) => eb.or([eb('w.status', '=', 'enabled'), eb('d.action', '=', 'ping')]))
      .where((eb) =>
        eb.or([
          eb.and([eb('d.state', '=', 'pending'), eb('d.next_attempt_at', '<=', t)]),
          eb.and([eb('d.state', '=', 'delivering'), eb('d.claimed_until', '<', t)]),
        ]),
      )
      .orderBy('d.next_attempt_at')
      .limit(limit * 4);
    if (atCap.length > 0) q = q.where('d.webhook', 'not in', atCap);
    const candidates = await q.execute();
    const taken = new Map(busy);
    const chosen: { event_id: string; webhook: string }[] = [];
    for (const c of candidates) {
      if (chosen.length >= limit) break;
      const n = taken.get(c.webhook) ?? 0;
      if (n >= perWebhook) continue;
      taken.set(c.webhook, n + 1);
      chosen.push(c);
    }
    if (chosen.length === 0) return { claimed: [], hadCandidates: false };
    // 2. Claim them in one statement that re-checks they are still due under a row lock;
    //    rows another node is claiming right now are skipped (PostgreSQL), and rows it
    //    claimed a moment ago fail the re-check.
    const lock = postgres ? sql`for update skip locked` : sql``;
    const tuples = sql.join(chosen.map((c) => sql`(${c.event_id}, ${c.webhook})`));
    const claimed = await sql<{ event_id: string; webhook: string }>`
      update webhook_deliveries
      set state = 'delivering', claimed_by = ${token}, claimed_until = ${t + leaseMs},
          attempts = attempts + 1, updated_at = ${t}
      where (event_id, webhook) in (
        select d.event_id, d.webhook from webhook_deliveries d
        where (d.event_id, d.webhook) in (${tuples})
          and ((d.state = 'pending' and d.next_attempt_at <= ${t})
            or (d.state = 'delivering' and d.claimed_until < ${t}))
        ${lock}
      )
      returning event_id, webhook`.execute(db);
    if (claimed.rows.length === 0) return { claimed: [], hadCandidates: true };
    const rows = await db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('event_outbox as e', 'e.id', 'd.event_id')
      .innerJoin('webhooks as w', 'w.name', 'd.webhook')
      .selectAll('d')
      .select(['e.payload', 'w.service_uri', 'w.custom_headers', 'w.secret'])
      .where('d.claimed_by', '=', token)
      // Oldest due first, like the candidates; without an ORDER BY PostgreSQL returns them in any order.
      .orderBy('d.next_attempt_at')
      .orderBy('d.created_at')
      .orderBy('d.event_id')
      .execute();
    const out = rows.map((row): ClaimedDelivery => ({
      ...toDelivery(row),
      claimToken: token,
      claimedUntil: new Date(Number(row.claimed_until)),
      body: row.payload,
      target: {
        serviceUri: row.service_uri,
        customHeaders: JSON.parse(row.custom_headers) as Record<string, string>,
        ...(row.secret !== null ? { secret: row.secret } : {}),
      },
    }));
    return { claimed: out, hadCandidates: true };
  }

  return {
    async append(event, webhooks, at = new Date()) {
      if (webhooks.length === 0) return;
      const now = at.getTime();
      await db.insertInto('event_outbox').values({ id: event.id, action: event.action, payload: JSON.stringify(event), created_at: now }).execute();
      await db
        .insertInto('webhook_deliveries')
        .values(
          webhooks.map((webhook) => ({
            event_id: event.id,
            webhook,
            action: event.action,
            state: 'pending',
            attempts: 0,
            next_attempt_at: now,
            claimed_by: null,
            claimed_until: null,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
    },

    async claim(options) {
      // Another node may win every candidate of a round; try a few rounds before saying "none".
      for (let round = 0; round < 4; round++) {
        const result = await claimRound(options);
        if (result.claimed.length > 0 || !result.hadCandidates) return result.claimed;
      }
      return [];
    },

    async complete(claim, attempt, outcome) {
      const now = Date.now();
      const result = await db
        .updateTable('webhook_deliveries')
        .set({
          state: outcome.state,
          next_attempt_at: outcome.state === 'pending' ? outcome.nextAttemptAt.getTime() : now,
          claimed_by: null,
          claimed_until: null,
          updated_at: now,
        })
        .where('event_id', '=', claim.eventId)
        .where('webhook', '=', claim.webhook)
        .where('claimed_by', '=', claim.claimToken)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await db
        .insertInto('webhook_attempts')
        .values({
          id: randomUUID(),
          event_id: claim.eventId,
          webhook: claim.webhook,
          attempt: attempt.attempt,
          started_at: attempt.startedAt.getTime(),
          duration_ms: Math.round(attempt.durationMs),
          request_uri: attempt.requestUri,
          request_headers: JSON.stringify(attempt.requestHeaders),
          response_status: attempt.responseStatus ?? null,
          response_reason: attempt.responseReason ?? null,
          response_headers: attempt.responseHeaders ? JSON.stringify(attempt.responseHeaders) : null,
          response_body: attempt.responseBody ?? null,
          error: attempt.error ?? null,
        })
        .execute();
      return true;
    },

    async list(webhook, page = {}) {
      const n = Math.max(1, Math.min(page.n ?? 20, MAX_PAGE));
      let q = deliveries().where('d.webhook', '=', webhook).orderBy('d.created_at', 'desc').orderBy('d.event_id', 'desc').limit(n + 1);
      if (page.last !== undefined) {
        const cursor = decodeCursor(page.last);
        if (!cursor) return { items: [] };
        const [at, id] = cursor;
        q = q.where((eb) => eb.or([eb('d.created_at', '<', at), eb.and([eb('d.created_at', '=', at), eb('d.event_id', '<', id)])]));
      }
      const rows = (await q.execute()).map(toDelivery);
      const items = await withLogs(webhook, rows.slice(0, n));
      return rows.length > n ? { items, next: encodeCursor(items.at(-1)!) } : { items };
    },

    async get(webhook, eventId) {
      const row = await deliveries().where('d.webhook', '=', webhook).where('d.event_id', '=', eventId).executeTakeFirst();
      if (!row) return undefined;
      return (await withLogs(webhook, [toDelivery(row)]))[0];
    },

    async redeliver(webhook, eventId, now = new Date()) {
      const result = await db
        .updateTable('webhook_deliveries')
        .set({ state: 'pending', attempts: 0, next_attempt_at: now.getTime(), claimed_by: null, claimed_until: null, updated_at: now.getTime() })
        .where('webhook', '=', webhook)
        .where('event_id', '=', eventId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async nextDue() {
      const row = await db
        .selectFrom('webhook_deliveries')
        .select((eb) => [
          eb.fn.min('next_attempt_at').filterWhere('state', '=', 'pending').as('pending'),
          eb.fn.min('claimed_until').filterWhere('state', '=', 'delivering').as('lease'),
        ])
        .executeTakeFirst();
      const times = [row?.pending, row?.lease].filter((v) => v !== null && v !== undefined).map(Number);
      return times.length ? new Date(Math.min(...times)) : undefined;
    },

    async prune(before) {
      const old = db
        .selectFrom('webhook_deliveries')
        .select(['event_id', 'webhook'])
        .where('state', '=', 'delivered')
        .where('updated_at', '<', before.getTime());
      await db
        .deleteFrom('webhook_attempts')
        .where((eb) => eb(eb.refTuple('event_id', 'webhook'), 'in', old.$asTuple('event_id', 'webhook')))
        .execute();
      const result = await db
        .deleteFrom('webhook_deliveries')
        .where('state', '=', 'delivered')
        .where('updated_at', '<', before.getTime())
        .executeTakeFirst();
      await db
        .deleteFrom('event_outbox')
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('webhook_deliveries').select('event_id').whereRef('webhook_deliveries.event_id', '=', 'event_outbox.id'))),
        )
        .execute();
      return Number(result.numDeletedRows);
    },
  };
}
