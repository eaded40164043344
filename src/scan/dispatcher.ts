/**
 * The scan dispatcher: claims due scan jobs (job-store.ts) and drives each one step:
 *
 *   pending   -> choose a scanner (scanner-choice.ts), mint the job's credential, POST /scan
 *                -> submitted (first poll after `firstPollMs`, Harbor's 2 s)
 *   submitted -> GET the report: 302 -> poll again after Refresh-After (default 5 s);
 *                404 (the adapter forgot the job) -> pending, submitted again at once;
 *                an adapter error -> retry with backoff until maxAttempts, then failed;
 *                200 -> finish: SBOMs fetched, referrers recorded, the verdict set, in ONE
 *                transaction with the job's end (so a crash anywhere leaves either nothing
 *                or everything, and exactly one verdict change).
 *   index     -> its verdict derives from its children's (index.ts).
 *
 * Fail closed everywhere: no scanner, an unreachable scanner, a failed scan or a timeout leave
 * the verdict as it is (held) and the job's status message says why; the job keeps trying.
 */
import type { Logger } from 'pino';
import type { LazaretConfig } from '../config/schema.ts';
import type { Registry } from '../registry/index.ts';
import type { ScanStore as MetadataStore } from './store/index.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { Digest } from '../oci/index.ts';
import { AdapterError } from './adapter-client.ts';
import { MIME, REGISTRY_AUTHORIZATION_TYPE, sbomTypesOf, type AdapterMetadata, type ScanRequest } from './harbor-api.ts';
import type { ClaimedJob, JobPatch } from './job-store.ts';
import { mintScanCredential, SCAN_USER_PREFIX } from './credentials.ts';
import { chooseScanner, clientFor, clock, scannerUnavailable } from './scanner-choice.ts';
import { finishScan, type FinishDeps } from './finish-scan.ts';
import { stepIndexJob } from './index-job.ts';
import type { ScannerRecord } from './scanner-store.ts';

const LEASE_SLACK_MS = 5_000;
const CLAIM_BATCH = 16;

export interface ScanDispatcher {
  wake(): void;
  /** A scanner became usable: jobs waiting for one are due now. */
  wakeWaiting(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export interface DispatcherDeps {
  store: MetadataStore;
  config: LazaretConfig;
  logger: Logger;
  /** The registry service (read when a scan finishes: it is created after the scan services). */
  registry: () => Registry;
  tokens: TokenService;
  /** The registry URL scanners pull from (`scanner.registryUrl`, `baseUrl`, else the listen address). */
  registryUrl: () => string | undefined;
  /** The `service` tokens for scanners are minted for. */
  service: () => string;
  /** Wakes the webhook dispatcher after a `scan` event was queued. */
  wakeWebhooks: () => void;
  /** Marks a scanner unreachable now (the health monitor re-checks it). */
  markUnreachable: (scanner: string, message: string) => Promise<void>;
  /** A job this node held the claim of ended (metrics): by its findings, failed for good, or cancelled. */
  onFinished?: (result: 'passed' | 'failed' | 'error' | 'cancelled') => void;
  /** Release policies' say over scan verdicts (FinishDeps.decider). */
  decider?: () => FinishDeps['decider'];
}

/** Backoff before retry n (1-based): 2 s, 4 s, 8 s ... at most 60 s. */
export const retryDelayMs = (attempt: number) => Math.min(60_000, 1_000 * 2 ** Math.max(1, attempt));

export function createScanDispatcher(deps: DispatcherDeps): ScanDispatcher {
  const { store, config, logger } = deps;
  const sc = config.scanner;
  const requestTimeoutMs = sc.requestTimeoutSeconds * 1000;
  // One step does at most a few adapter calls (report + SBOMs); the lease outlives them.
  const leaseMs = requestTimeoutMs * 4 + LEASE_SLACK_MS;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;

  const finishDeps = (): FinishDeps => {
    const decider = deps.decider?.();
    return { store, registry: deps.registry(), failOn: sc.failOn, wakeWebhooks: deps.wakeWebhooks, registryUrl: deps.registryUrl, ...(decider ? { decider } : {}) };
  };

  async function release(job: ClaimedJob, patch: JobPatch) {
    if (!(await store.scanJobs.release(job, patch))) {
      logger.warn({ job: job.id }, 'scan job claim lost (lease ran out); another node continues it');
      return;
    }
    if (patch.state === 'failed') deps.onFinished?.('error');
    else if (patch.state === 'cancelled') deps.onFinished?.('cancelled');
  }

  async function fail(job: ClaimedJob, message: string) {
    logger.warn({ job: job.id, repository: job.repository, digest: job.digest, err: message }, 'scan failed; the image stays held');
    await release(job, { state: 'failed', statusMessage: `scan failed: ${message}`, finishedAt: new Date(), credentialHash: null, credentialExpiresAt: null });
  }

  function authorization(scanner: ScannerRecord, job: ClaimedJob, minted: ReturnType<typeof mintScanCredential>): Promise<string> | string {
    const meta = scanner.metadata as AdapterMetadata | undefined;
    if (meta?.properties?.[REGISTRY_AUTHORIZATION_TYPE] !== 'Bearer') return minted.authorization;
    // The adapter wants a ready pull token: mint one for the job's identity (re-resolved on use).
    return deps.tokens
      .issueAccessToken({ sub: `scan:${job.id}`, kind: 'token', name: `${SCAN_USER_PREFIX}${job.id}` }, deps.service(), [{ type: 'repository', name: job.repository, actions: ['pull', 'quarantine_read'] }])
      .then((t) => `Bearer ${t.token}`);
  }

  async function submit(job: ClaimedJob, now: Date) {
    const scanners = await store.scanners.list();
    const scanner = job.scanner ? scanners.find((s) => s.name === job.scanner && s.enabled) : chooseScanner(scanners, job.repository);
    if (!scanner) {
      const message = job.scanner ? `waiting for scanner ${job.scanner}: it is not registered or disabled` : `waiting for a scanner: none is registered for ${job.repository}`;
      return release(job, { statusMessage: message, nextAttemptAt: new Date(now.getTime() + 10_000) });
    }
    const unavailable = scannerUnavailable(scanner);
    if (unavailable) return release(job, { scanner: scanner.name, statusMessage: unavailable, nextAttemptAt: new Date(now.getTime() + 5_000) });
    if ((await store.scanJobs.submittedCount(scanner.name)) >= sc.perScannerConcurrency) {
      return release(job, { scanner: scanner.name, statusMessage: `waiting for scanner ${scanner.name}: ${sc.perScannerConcurrency} scan(s) already running`, nextAttemptAt: new Date(now.getTime() + 1_000) });
    }
    const url = deps.registryUrl();
    if (!url) return release(job, { statusMessage: 'waiting: the registry URL scanners should pull from is not known yet', nextAttemptAt: new Date(now.getTime() + 1_000) });
    const minted = mintScanCredential(job.id);
    const expires = new Date(now.getTime() + (sc.startTimeoutSeconds + sc.finishTimeoutSeconds) * 1000);
    // The credential must exist before the scanner can use it.
    await store.scanJobs.patch(job.id, { credentialHash: minted.hash, credentialExpiresAt: expires });
    const meta = scanner.metadata as AdapterMetadata | undefined;
    const sboms = meta ? sbomTypesOf(meta) : [];
    const tags = await store.tags.list(job.repository, { digest: job.digest as Digest, n: 1 });
    const request: ScanRequest = {
      registry: { url, authorization: await authorization(scanner, job, minted) },
      artifact: { repository: job.repository, digest: job.digest, ...(tags[0] ? { tag: tags[0].name } : {}), mime_type: job.mediaType },
      enabled_capabilities: [
        { type: 'vulnerability', produces_mime_types: [MIME.vulnerabilityReport] },
        ...(sboms.length ? [{ type: 'sbom', produces_mime_types: [MIME.sbomReport], parameters: { sbom_media_types: sboms } }] : []),
      ],
    };
    const attempts = job.attempts + 1;
    try {
      const id = await clientFor(scanner, requestTimeoutMs).submit(request);
      logger.info({ job: job.id, scanner: scanner.name, repository: job.repository, digest: job.digest, attempt: attempts }, 'scan submitted');
      return release(job, {
        state: 'submitted',
        scanner: scanner.name,
        attempts,
        adapterJobId: id,
        submittedAt: now,
        statusMessage: `scanning (scanner ${scanner.name}, since ${clock(now)} UTC)`,
        nextAttemptAt: new Date(now.getTime() + sc.firstPollMs),
      });
    } catch (err) {
      const e = err as AdapterError;
      if (e.kind === 'unreachable' || !(err instanceof AdapterError)) {
        await deps.markUnreachable(scanner.name, e.message);
        const since = (await store.scanners.get(scanner.name))?.unreachableSince ?? now;
        return release(job, { scanner: scanner.name, statusMessage: `waiting for scanner ${scanner.name}: unreachable since ${clock(since)} UTC`, nextAttemptAt: new Date(now.getTime() + 5_000), credentialHash: null });
      }
      if (attempts >= sc.maxAttempts) return fail(job, `scanner ${scanner.name} refused the scan ${attempts} time(s): ${e.message}`);
      return release(job, { scanner: scanner.name, attempts, statusMessage: `scanner ${scanner.name} refused the scan: ${e.message}; retrying`, nextAttemptAt: new Date(now.getTime() + retryDelayMs(attempts)), credentialHash: null });
    }
  }

  /** Back to pending: submitted again (the adapter lost or never ran it). Counts toward maxAttempts at the next submit. */
  async function resubmit(job: ClaimedJob, why: string, now: Date) {
    if (job.attempts >= sc.maxAttempts) return fail(job, `${why}; gave up after ${job.attempts} attempt(s)`);
    logger.info({ job: job.id, scanner: job.scanner, why }, 'scan submitted again');
    return release(job, { state: 'pending', adapterJobId: null, submittedAt: null, statusMessage: `${why}; submitting again`, nextAttemptAt: now });
  }

  async function poll(job: ClaimedJob, now: Date) {
    const scanner = job.scanner ? await store.scanners.get(job.scanner) : undefined;
    if (!scanner || !job.adapterJobId || !job.submittedAt) return resubmit(job, `scanner ${job.scanner ?? '?'} is gone`, now);
    const age = now.getTime() - job.submittedAt.getTime();
    if (age > sc.finishTimeoutSeconds * 1000) return resubmit(job, `no report from scanner ${scanner.name} after ${sc.finishTimeoutSeconds} s`, now);
    const client = clientFor(scanner, requestTimeoutMs, sc.defaultRefreshMs);
    let answer;
    try {
      answer = await client.report(job.adapterJobId, MIME.vulnerabilityReport);
    } catch (err) {
      const e = err as AdapterError;
      if (e.kind === 'unreachable' || !(err instanceof AdapterError)) {
        await deps.markUnreachable(scanner.name, e.message);
        if (age > sc.startTimeoutSeconds * 1000) return resubmit(job, `scanner ${scanner.name} unreachable while scanning`, now);
        return release(job, { statusMessage: `scanning (scanner ${scanner.name}): unreachable since ${clock(now)} UTC`, nextAttemptAt: new Date(now.getTime() + 5_000) });
      }
      if (job.attempts >= sc.maxAttempts) return fail(job, e.message);
      return release(job, { state: 'pending', adapterJobId: null, submittedAt: null, statusMessage: `scanner ${scanner.name}: ${e.message}; retrying`, nextAttemptAt: new Date(now.getTime() + retryDelayMs(job.attempts)) });
    }
    switch (answer.kind) {
      case 'pending':
        return release(job, { statusMessage: `scanning (scanner ${scanner.name}, since ${clock(job.submittedAt)} UTC)`, nextAttemptAt: new Date(now.getTime() + answer.retryAfterMs) });
      case 'unknown':
        return resubmit(job, `scanner ${scanner.name} does not know the scan (it forgot or lost it)`, now);
      case 'failed':
        if (job.attempts >= sc.maxAttempts) return fail(job, `scanner ${scanner.name}: ${answer.message}`);
        return release(job, { state: 'pending', adapterJobId: null, submittedAt: null, statusMessage: `scan failed on scanner ${scanner.name}: ${answer.message}; retrying`, nextAttemptAt: new Date(now.getTime() + retryDelayMs(job.attempts)) });
      case 'ready': {
        const result = await finishScan(finishDeps(), job, scanner, client, answer.body);
        if (result.kind === 'done') {
          if (result.failed !== undefined) deps.onFinished?.(result.failed ? 'failed' : 'passed');
          return;
        }
        if (result.kind === 'wait') return release(job, { statusMessage: result.message, nextAttemptAt: new Date(now.getTime() + result.retryAfterMs) });
        if (job.attempts >= sc.maxAttempts) return fail(job, result.message);
        return release(job, { state: 'pending', adapterJobId: null, submittedAt: null, statusMessage: `${result.message}; retrying`, nextAttemptAt: new Date(now.getTime() + retryDelayMs(job.attempts)) });
      }
    }
  }

  async function step(job: ClaimedJob) {
    const now = new Date();
    const manifest = await store.manifests.get(job.repository, job.digest as Digest);
    if (!manifest) return release(job, { state: 'cancelled', statusMessage: 'the manifest was deleted', finishedAt: now, credentialHash: null });
    if (job.reason !== 'db-update' && job.reason !== 'manual') {
      const verdict = await store.verdicts.get(job.repository, job.digest as Digest);
      // Someone else (an external scanner's PATCH, an admin) decided meanwhile: nothing to do.
      if (verdict && verdict.state !== 'Quarantined' && verdict.updatedAt.getTime() > job.createdAt.getTime()) {
        return release(job, { state: 'cancelled', statusMessage: `the verdict was set to ${verdict.state} by ${verdict.updatedBy ?? 'someone else'}`, finishedAt: now, credentialHash: null });
      }
    }
    if (job.kind === 'index') {
      const r = await stepIndexJob({ ...finishDeps() }, job, manifest);
      if (r.kind === 'wait') return release(job, { statusMessage: r.message, nextAttemptAt: new Date(now.getTime() + 2_000) });
      deps.onFinished?.(r.failed ? 'failed' : 'passed');
      return;
    }
    if (job.state === 'pending') return submit(job, now);
    return poll(job, now);
  }

  async function drain() {
    do {
      again = false;
      const claimed = await store.scanJobs.claim({ now: new Date(), leaseMs, limit: CLAIM_BATCH });
      await Promise.all(
        claimed.map((job) =>
          step(job).catch(async (err) => {
            logger.error({ err, job: job.id }, 'scan job step failed');
            await release(job, { statusMessage: `internal error: ${(err as Error).message}; retrying`, nextAttemptAt: new Date(Date.now() + 5_000) }).catch(() => {});
          }),
        ),
      );
      if (claimed.length === CLAIM_BATCH) again = true;
    } while (again && !stopped);
  }

  async function tick() {
    if (running || stopped) {
      again = true;
      return;
    }
    if (timer) clearTimeout(timer);
    running = drain()
      .catch((err) => logger.error({ err }, 'scan dispatcher round failed'))
      .finally(async () => {
        running = undefined;
        if (stopped) return;
        let delay = sc.pollIntervalMs;
        try {
          const due = await store.scanJobs.nextDue();
          if (due) delay = Math.max(10, Math.min(delay, due.getTime() - Date.now()));
        } catch {
          /* the next round logs it */
        }
        timer = setTimeout(() => void tick(), again ? 0 : delay);
        timer.unref();
      });
  }

  return {
    wake: () => void tick(),
    async wakeWaiting() {
      await store.scanJobs.wakePending(new Date());
      void tick();
    },
    start() {
      stopped = false;
      void tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
