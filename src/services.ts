/**
 * The composition root: opens the stores and builds the services every module shares. Used by
 * `lazaret serve` (src/main.ts) and by tests, so tests run exactly the production wiring.
 */
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { LazaretConfig } from './config/schema.ts';
import type { MetadataStore, StoreRoles } from './persistence/index.ts';
import type { BlobStore } from './storage/blob-store.ts';
import type { Gate } from './quarantine/gate.ts';
import type { ManifestLifecycle } from './events/index.ts';
import type { Authenticator } from './auth/authenticator.ts';
import { openMetadataStore } from './persistence/index.ts';
import { openBlobStore } from './storage/open-blob-store.ts';
import { combineLifecycles } from './events/index.ts';
import { createPolicyCache, type PolicyCache } from './quarantine/policy.ts';
import { workerIndex } from './cluster/workers.ts';
import { createQuarantineGate } from './quarantine/quarantine-gate.ts';
import { cachedVerdicts, createVerdictCache, type VerdictCache } from './quarantine/verdict-cache.ts';
import { createQuarantineLifecycle, isHeld } from './quarantine/quarantine-lifecycle.ts';
import { createEventsLifecycle } from './events/index.ts';
import { createWebhookDispatcher, type WebhookDispatcher } from './events/index.ts';
import { wakeAfterCommit } from './events/index.ts';
import { openNotifications } from './notifications/open-notifications.ts';
import type { Notifications } from './notifications/notifications.ts';
import { createDestinationPolicy, type DestinationPolicy } from './events/index.ts';
import { noAuthentication } from './auth/authenticator.ts';
import { createIdentityServices, type IdentityServices } from './auth/identity-services.ts';
import { createTokenAuthenticator } from './auth/token-authenticator.ts';
import { bootstrapAdmin } from './auth/bootstrap.ts';
import { createUploadJanitor } from './distribution/upload-janitor.ts';
import { createRegistry, createTagPageCache, watchTagListChanges, type Registry, type TagPageCache } from './registry/index.ts';
import { createScanServices, type ScanServices } from './scan/scan-services.ts';
import { scanCredentialSource } from './scan/credentials.ts';
import { createObservability, type Observability } from './observability/observability.ts';
import { createReadiness, type Readiness } from './observability/readiness.ts';
import type { Metrics, ScanResult } from './observability/metrics.ts';
import { createReleasePolicyServices, type ReleasePolicyServices } from './release-policy/release-services.ts';
import { createReleasePolicyLifecycle } from './release-policy/release-lifecycle.ts';
import { createCollector, type Collector, type GcSummary } from './lifecycle/gc/collector.ts';
import type { GcRunRecord } from './lifecycle/gc/gc-store.ts';
import { createGcSchedule } from './lifecycle/gc/schedule.ts';
import { retentionDeps, runRetention } from './lifecycle/retention/run.ts';
import { createPullTimeRecorder, type PullTimeRecorder } from './lifecycle/retention/pull-times.ts';

export interface Services {
  config: LazaretConfig;
  logger: Logger;
  store: MetadataStore;
  blobs: BlobStore;
  gate: Gate;
  /** THE registry service: every API's content operations for one principal (`registry.as(access)`). */
  registry: Registry;
  /** Cached /v2 tags-list pages, dropped on every tag, manifest, verdict or policy change here or on another node. */
  tagPages: TagPageCache;
  /** The gate's verdict memo (src/quarantine/verdict-cache.ts); empty unless alone on the database. */
  verdictCache: VerdictCache;
  /** The quarantine policy as the gate sees it; management changes call `invalidate()` after commit. */
  quarantinePolicy: PolicyCache;
  lifecycle: ManifestLifecycle<StoreRoles>;
  /** Delivers webhook events; `wake()` after queueing outside the lifecycle (ping, redeliver). */
  webhookDispatcher: WebhookDispatcher;
  /** "Look again" between nodes sharing the database (src/notifications/): publish after commit, subscribe to wake. */
  notifications: Notifications;
  /** Where webhooks may deliver (checked at create/update and on every delivery's connection). */
  webhookDestinations: DestinationPolicy;
  authenticator: Authenticator;
  /** Keys, tokens, federation, identity resolution, login throttling (src/auth/identity-services.ts). */
  identity: IdentityServices;
  /** The scan orchestrator: jobs, dispatcher, scanner health (src/scan, docs/scanner.md). */
  scan: ScanServices;
  /** Release policies' evaluation, re-evaluation and requarantine sweep (src/release-policy, docs/release-policy.md). */
  releasePolicy: ReleasePolicyServices;
  /** Prometheus metrics when `metrics.listen` or `metrics.mainPort` is set (src/observability). */
  metrics?: Metrics;
  /** Metrics and tracing hooks; `observability.metricsUrl` is the separate metrics listener. */
  observability: Observability;
  /** Garbage collection of blobs (src/lifecycle/gc, docs/storage-lifecycle.md). */
  gc: Collector;
  /** Manifest pulls noted in memory and written in batches (tag retention's "pulled recently"). */
  pullTimes: PullTimeRecorder;
  /** /readyz: database, blob store and migrations. */
  readiness: Readiness;
  /** When this node started (status). */
  startedAt: Date;
  /** Background work (upload clean-up, webhook dispatch) started by `start`, stopped by `close`. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function createServices(config: LazaretConfig, logger: Logger): Promise<Services> {
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const startedAt = new Date();
  const observability = await createObservability(config, logger);
  const rawStore = await openMetadataStore(config, dataDir, observability.storeObservers);
  observability.attachStore(rawStore);
  const metrics = observability.metrics;
  // Webhooks: events commit with their change; the dispatcher is woken right after the commit.
  const webhookDestinations = createDestinationPolicy({ allow: config.webhooks.allowDestinations, deny: config.webhooks.denyDestinations });
  const dispatcher = createWebhookDispatcher({
    store: rawStore,
    config: config.events,
    logger,
    destinations: webhookDestinations,
    ...(metrics ? { onAttempt: (result: 'delivered' | 'retry' | 'failed') => metrics.webhookAttempts.inc({ result }) } : {}),
  });
  // Other nodes sharing the database hear of commits through notifications (LISTEN/NOTIFY on
  // PostgreSQL): their dispatchers wake, their policy caches re-read (docs/scale-out.md).
  let notifications: Notifications;
  try {
    notifications = await openNotifications(config, logger);
  } catch (err) {
    await rawStore.close();
    throw err;
  }
  const commits = wakeAfterCommit(rawStore, () => {
    dispatcher.wake();
    notifications.publish('events-queued');
  });
  // Scan jobs: the scan dispatcher is woken right after the transaction that queued a job.
  let scan: ScanServices | undefined;
  const scanCommits = wakeAfterCommit(commits.store, () => {
    scan?.dispatcher.wake();
    notifications.publish('scans-queued');
  });
  // Tags-list pages: every write that can change one raises its repository's generation in its
  // own transaction, drops this node's pages once it is done and tells the other nodes
  // (src/registry/tag-pages.ts). With other writers on the database (PostgreSQL nodes, workers)
  // the notification comes milliseconds after the commit, so there a hit is served only while
  // the repository's generation has not moved (one primary-key read).
  const crossProcess = Boolean(config.databaseUrl) || workerIndex() !== undefined;
  const tagPages = createTagPageCache(crossProcess ? { shared: (repository) => scanCommits.store.tagListGenerations.get(repository) } : {});
  // The gate's verdict lookups (src/quarantine/verdict-cache.ts): every verdict write is among
  // the writes watched for the pages, so it drops this memo too. Only a process alone on its
  // database keeps verdicts: across processes a generation check would cost the very
  // primary-key read the memo saves, so there the gate reads the row every time.
  const verdictCache = createVerdictCache(crossProcess ? { maxBytes: 0 } : {});
  const store = watchTagListChanges(scanCommits.store, () => {
    tagPages.invalidate();
    verdictCache.invalidate();
    notifications.publish('tag-lists');
  });
  const blobs = observability.observeBlobStore(await openBlobStore(config, dataDir, store.blobUploadStates), config.storage.driver === 's3' ? 's3' : 'fs');
  // A node that cannot reach its blob store says so at start (the bucket's name and what is
  // wrong) instead of failing its first push.
  try {
    await blobs.probe();
  } catch (err) {
    await notifications.close();
    await store.close();
    throw err;
  }
  const stoppers: (() => Promise<void> | void)[] = [];

  // Other processes may change the policy when the database is shared (PostgreSQL) or this is a worker.
  const policyCache = createPolicyCache({ settings: store.settings, releasePolicies: store.releasePolicies, crossProcess });
  // A local change invalidates this node's cache at once and tells the others; a notification
  // from another node invalidates only (no echo).
  const quarantinePolicy: PolicyCache = {
    ...policyCache,
    invalidate() {
      policyCache.invalidate();
      tagPages.invalidate();
      notifications.publish('quarantine-policy');
    },
  };
  notifications.subscribe('quarantine-policy', () => {
    policyCache.invalidate();
    tagPages.invalidate();
  });
  notifications.subscribe('tag-lists', () => {
    tagPages.invalidate();
    verdictCache.invalidate();
  });
  notifications.subscribe('events-queued', () => dispatcher.wake());
  notifications.subscribe('scans-queued', () => scan?.dispatcher.wake());

  const identity = observability.observeIdentity(createIdentityServices({ config, logger, store, sources: [scanCredentialSource(() => store.scanJobs)] }));
  // Same for auth settings (anonymous pull): a change on one node is in force on every node at
  // once, not after the resolver's 5 s cache lifetime.
  const forgetAuthSettings = identity.resolver.forgetSettings.bind(identity.resolver);
  identity.resolver.forgetSettings = () => {
    forgetAuthSettings();
    notifications.publish('auth-settings');
  };
  notifications.subscribe('auth-settings', () => forgetAuthSettings());

  if (config.auth.mode === 'none') logger.warn('auth.mode is "none": every caller may push, pull and delete');

  const releasePolicy = createReleasePolicyServices({ store, blobs, logger, registry: () => services.registry, onQueued: commits.markQueued, onScanQueued: scanCommits.markQueued });
  scan = createScanServices({
    config,
    logger,
    store,
    registry: () => services.registry,
    tokens: identity.tokens,
    onQueued: scanCommits.markQueued,
    wakeWebhooks: () => dispatcher.wake(),
    ...(metrics ? { onFinished: (result: ScanResult) => metrics.scanJobsFinished.inc({ result }) } : {}),
    decider: () => releasePolicy.scanDecider,
  });

  const gate = observability.observeGate(createQuarantineGate({ policy: quarantinePolicy, store: { verdicts: cachedVerdicts(store.verdicts, verdictCache), manifests: store.manifests } }));
  // Quarantine FIRST: it assigns the push-time verdict that later listeners (events, scan) ask about.
  const lifecycle = combineLifecycles<StoreRoles>(
    createQuarantineLifecycle(),
    createEventsLifecycle<StoreRoles>({ isHeld, onQueued: commits.markQueued, ...(config.baseUrl ? { publicHost: new URL(config.baseUrl).host } : {}) }),
    scan.lifecycle,
    createReleasePolicyLifecycle((repository, digest) => releasePolicy.subjectChanged(repository, digest)),
  );

  const services: Services = {
    config,
    logger,
    store,
    blobs,
    gate,
    // Set below: the registry reads the gate and lifecycle from this object at each request.
    registry: undefined as unknown as Registry,
    tagPages,
    verdictCache,
    quarantinePolicy,
    notifications,
    lifecycle,
    webhookDispatcher: dispatcher,
    webhookDestinations,
    authenticator: config.auth.mode === 'token' ? createTokenAuthenticator(identity) : noAuthentication(),
    identity,
    scan,
    releasePolicy,
    ...(metrics ? { metrics } : {}),
    observability,
    gc: createCollector({
      store,
      blobs,
      logger,
      settings: { gracePeriodMs: config.gc.gracePeriodSeconds * 1000, inFlightMs: config.gc.inFlightSeconds * 1000 },
      retention: async () => (await runRetention(retentionDeps(services), { requestId: `retention-${randomUUID()}` })).result?.deleted.length ?? 0,
      ...(metrics ? { onFinished: (run: GcRunRecord) => metrics.gcFinished({ status: run.status === 'failed' ? 'failed' : 'done', dryRun: run.dryRun, ...(run.summary as GcSummary | undefined) }) } : {}),
    }),
    pullTimes: createPullTimeRecorder({ store: () => store.pullTimes, logger }),
    readiness: createReadiness({ store, blobs, blobProbeCacheSeconds: config.readiness.blobProbeCacheSeconds }),
    startedAt,
    async start() {
      await observability.start();
      stoppers.push(() => observability.close());
      // Stopped after everything that serves pulls (stoppers run in reverse): its last flush writes the last pulls.
      services.pullTimes.start();
      stoppers.push(() => services.pullTimes.stop());
      if (config.auth.mode === 'token') await bootstrapAdmin({ store, logger, dataDir, adminPassword: config.auth.adminPassword });
      dispatcher.start();
      stoppers.push(() => dispatcher.stop());
      const janitor = createUploadJanitor({ store, blobs, staleAfterSeconds: config.uploads.staleAfterSeconds, untouchedStaleAfterSeconds: config.uploads.untouchedStaleAfterSeconds, logger });
      janitor.start();
      stoppers.push(() => janitor.stop());
      scan!.start();
      stoppers.push(() => scan!.stop());
      releasePolicy.start();
      stoppers.push(() => releasePolicy.stop());
      const gcSchedule = createGcSchedule({ collector: services.gc, intervalSeconds: config.gc.intervalSeconds, logger });
      gcSchedule.start();
      stoppers.push(() => gcSchedule.stop());
    },
    async close() {
      for (const stop of stoppers.reverse()) await stop();
      await notifications.close();
      await store.close();
    },
  };
  services.registry = createRegistry(services);
  return services;
}

