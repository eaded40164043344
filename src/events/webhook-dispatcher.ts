/**
 * The webhook dispatcher: delivers outbox deliveries, at least once.
 *
 * - Claims due deliveries atomically (tx-free `outbox.claim`, see src/events/store/sql/outbox.ts),
 *   up to `concurrency` in flight per process, each with a lease of 2 x attemptTimeoutMs + 1 s.
 *   Several processes on one PostgreSQL never hold the same delivery at once; a process that
 *   dies leaves its claims to expire and be re-claimed, so a crash loses nothing.
 * - Each delivery runs on its own with its own timeout: a slow or dead receiver holds at most
 *   perWebhookConcurrency slots, each for at most attemptTimeoutMs, so it never blocks other
 *   webhooks (no per-webhook queue, no head-of-line blocking) nor request handling (this runs
 *   beside it).
 * - 2xx: delivered. Otherwise retry after backoffDelay(...) (stretched by a Retry-After
 *   header, up to backoffMaxMs); after maxAttempts: failed (dead letter, kept for
 *   `redeliver`), logged at error level.
 * - Wakes promptly when events are committed in this process (`wake()`), at the next due
 *   retry, and otherwise polls every pollIntervalMs (events committed by other processes).
 */
import type { Logger } from 'pino';
import type { Agent } from 'undici';
import type { LazaretConfig } from '../config/schema.ts';
import type { EventRoles } from './store/index.ts';
import type { ClaimedDelivery } from './event-store.ts';
import { attemptDelivery } from './webhook-delivery.ts';
import type { DestinationPolicy } from './webhook-destinations.ts';
import { backoffDelay, retryAfterDelay } from './delivery-backoff.ts';

export interface WebhookDispatcher {
  start(): void;
  /** Stops claiming, aborts attempts in flight (they are logged and retried later) and waits for them. */
  stop(): Promise<void>;
  /** Something was queued: look for due deliveries now. */
  wake(): void;
}

export interface WebhookDispatcherOptions {
  store: Pick<EventRoles, 'outbox'>;
  config: LazaretConfig['events'];
  logger: Logger;
  /** Told the outcome of every attempt whose bookkeeping this process owned (metrics). */
  onAttempt?: (outcome: 'delivered' | 'retry' | 'failed') => void;
  /** Where deliveries may connect; checked on every connection's resolved addresses. */
  destinations: DestinationPolicy;
}

const PRUNE_EVERY_MS = 3600_000;

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { store, config, logger } = options;
  const log = logger.child({ module: 'webhooks' });
  // Covers the attempt (bounded by its timeout) and the bookkeeping write after it, with room.
  const leaseMs = 2 * config.attemptTimeoutMs + 1000;
  // Made at the first delivery (./webhook-agent.ts loads the HTTP client): most registries
  // have no webhooks and never pay for it.
  let agent: Promise<Agent> | undefined;
  const agentForDelivery = () => (agent ??= import('./webhook-agent.ts').then((m) => m.createWebhookAgent(options.destinations, config.attemptTimeoutMs)));
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  /** In-flight deliveries per webhook, for the per-webhook cap. */
  const busy = new Map<string, number>();
  let running = false;
  let passing = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let lastPrune = 0;

  function schedule(delay: number) {
    if (!running) return;
    clearTimeout(timer);
    timer = setTimeout(() => void pass(), Math.max(0, delay));
  }

  const retryDelay = (failedAttempts: number, retryAfter: string | undefined) =>
    retryAfterDelay(backoffDelay(failedAttempts, { baseMs: config.backoffBaseMs, maxMs: config.backoffMaxMs }), retryAfter, { maxMs: config.backoffMaxMs });

  async function deliver(claim: ClaimedDelivery) {
    const attempt = await attemptDelivery(claim, { dispatcher: await agentForDelivery(), timeoutMs: config.attemptTimeoutMs, signal: stopping.signal });
    const { ok, ...record } = attempt;
    const outcome = ok
      ? ({ state: 'delivered' } as const)
      : claim.attempts >= config.maxAttempts
        ? ({ state: 'failed' } as const)
        : ({ state: 'pending', nextAttemptAt: new Date(Date.now() + retryDelay(claim.attempts, record.responseHeaders?.['retry-after'])) } as const);
    const owned = await store.outbox.complete(claim, record, outcome);
    if (!owned) {
      log.warn({ webhook: claim.webhook, eventId: claim.eventId }, 'webhook delivery finished after its claim was lost (redelivered, re-claimed or webhook deleted)');
      return;
    }
    options.onAttempt?.(outcome.state === 'pending' ? 'retry' : outcome.state);
    if (ok) return;
    const facts = { webhook: claim.webhook, eventId: claim.eventId, action: claim.action, attempt: claim.attempts, status: record.responseStatus, error: record.error };
    if (outcome.state === 'failed') log.error(facts, 'webhook delivery failed for good after the last attempt; kept for redelivery');
    else log.warn({ ...facts, nextAttemptAt: outcome.state === 'pending' ? outcome.nextAttemptAt : undefined }, 'webhook delivery attempt failed; will retry');
  }

  function track(claim: ClaimedDelivery) {
    busy.set(claim.webhook, (busy.get(claim.webhook) ?? 0) + 1);
    const p: Promise<void> = deliver(claim)
      .catch((err) => log.error({ err, webhook: claim.webhook, eventId: claim.eventId }, 'webhook delivery bookkeeping failed; the claim will expire and be retried'))
      .finally(() => {
        inFlight.delete(p);
        const n = (busy.get(claim.webhook) ?? 1) - 1;
        if (n > 0) busy.set(claim.webhook, n);
        else busy.delete(claim.webhook);
        // A slot is free: there may be more due work.
        if (running) wake();
      });
    inFlight.add(p);
  }

  async function pass() {
    if (!running) return;
    if (passing) {
      again = true;
      return;
    }
    passing = true;
    let delay = config.pollIntervalMs;
    try {
      do {
        again = false;
        const free = config.concurrency - inFlight.size;
        if (free <= 0) break;
        const claims = await store.outbox.claim({ now: new Date(), leaseMs, limit: free, perWebhook: config.perWebhookConcurrency, busy });
        for (const claim of claims) track(claim);
        // Claimed something and slots are left: webhooks now at their cap are excluded next
        // time, so the next round may find other webhooks' work.
        if (claims.length > 0) again = true;
      } while (again && running);
      const next = await store.outbox.nextDue();
      if (next) delay = Math.min(delay, next.getTime() - Date.now());
      if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
        lastPrune = Date.now();
        const pruned = await store.outbox.prune(new Date(Date.now() - config.retentionDays * 86400_000));
        if (pruned > 0) log.info({ pruned }, 'pruned old delivered webhook deliveries');
      }
    } catch (err) {
      if (running) log.error({ err }, 'webhook dispatcher pass failed; retrying at the next poll');
    } finally {
      passing = false;
      schedule(again ? 0 : delay);
    }
  }

  function wake() {
    if (!running) return;
    if (passing) again = true;
    else schedule(0);
  }

  return {
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    wake,
    async stop() {
      running = false;
      clearTimeout(timer);
      stopping.abort();
      while (passing) await new Promise((r) => setTimeout(r, 5));
      await Promise.allSettled([...inFlight]);
      await (await agent)?.destroy();
    },
  };
}
