/**
 * The release policy engine of one node (built by src/services.ts):
 *
 * - `scanDecider`: the scan orchestrator's finish asks it, before and inside the scan's
 *   transaction, for the verdict of an image a release policy governs (src/scan/finish-scan.ts);
 * - re-evaluation after a policy or exception change, an exception expiring or
 *   `POST /api/v1/release-policies/{name}/evaluate`: durable. The change's transaction records a
 *   job (./reevaluation-queue.ts); `reevaluationQueued()` after the commit, every sweep and
 *   start() make this node claim jobs and work through their repositories, renewing the lease
 *   per page and recording the last repository done, so a node that dies mid-run leaves the
 *   rest to whichever node claims the job after the lease (until then those images keep their
 *   previous verdicts: nothing is released by being skipped);
 * - `subjectChanged`: a signature or other referrer pushed re-evaluates its subject (one image,
 *   in memory: the push itself is durable and the next change re-evaluates it anyway).
 * Background work runs one task at a time; `idle()` resolves when nothing is queued here (tests,
 *   the dry run's caller);
 * - the sweep (every 30 s): released images whose requarantine time has come go back to
 *   Quarantined; exceptions that expired since the last sweep re-evaluate what they covered.
 */
import type { Logger } from 'pino';
import type { RequestFacts } from '../events/index.ts';
import type { ManifestHead, TransactionalStore } from '../metadata/metadata-store.ts';
import type { Registry } from '../registry/index.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { ScanRoles } from '../scan/store/index.ts';
import type { Digest } from '../oci/index.ts';
import { INDEX_MEDIA_TYPES } from '../oci/index.ts';
import { IMAGE_CONFIG_MEDIA_TYPES } from '../oci/index.ts';
import { queueScan } from '../scan/scan-lifecycle.ts';
import { raiseEvent } from '../events/index.ts';
import { quarantineEvent } from '../events/index.ts';
import { evaluatePolicy, type EvaluationResult } from './evaluate.ts';
import { gatherInput, type KnownScan } from './evaluation-input.ts';
import { applyEvaluation, decisionOf, governingIn, governingOf, policyVerdictWriter, type DecideTx } from './decide.ts';
import { matchesPolicyPattern } from './patterns.ts';
import type { ReleasePolicyRecord } from './policy-store.ts';
import { COSIGN_REFERRER_TYPE } from './cosign.ts';
import { NOTATION_SIGNATURE_TYPE } from './notation.ts';
import { OPENVEX_TYPE } from './vex.ts';
import { exceptionPatterns } from './exceptions.ts';
import { ATTESTATION_REFERRER_TYPES, SIGSTORE_BUNDLE_TYPES } from './attestations.ts';

type Tx = DecideTx & ScanRoles;
type Store = TransactionalStore<Tx>;

export interface PreparedDecision {
  policy: ReleasePolicyRecord;
  result: EvaluationResult;
}

export interface ScanDecider {
  /** Before the scan's transaction: the evaluation of an image a release policy governs (undefined: none does). */
  prepare(manifest: ManifestHead, known: KnownScan): Promise<PreparedDecision | undefined>;
  /** In the scan's transaction: applies it when the same policy version still governs. True when it decided. */
  decide(tx: Tx, manifest: ManifestHead, prepared: PreparedDecision, request: RequestFacts): Promise<boolean>;
}

export interface ReleasePolicyServices {
  scanDecider: ScanDecider;
  /** A committed change recorded a re-evaluation job: claim and run jobs now. */
  reevaluationQueued(): void;
  /** Records a re-evaluation job outside a change (on demand, an exception expired) and runs it. */
  requestReevaluation(patterns: string[], why: string): Promise<void>;
  /** A manifest with a subject (a signature, an attestation, an SBOM) or a cosign `.sig` tag was pushed. */
  subjectChanged(repository: string, digest: string): void;
  /** Evaluates one image now and applies the result (why-held's refresh, tests). */
  evaluateOne(repository: string, digest: string, why: string): Promise<void>;
  /** Requarantines due images and re-evaluates after expired exceptions; `now` for tests. */
  sweep(now?: Date): Promise<{ requarantined: number; expired: number }>;
  idle(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

const PAGE = 200;
/** A re-evaluation job's lease, renewed after every page of images. */
const JOB_LEASE_MS = 60_000;
/** Images whose inputs are read at once during a re-evaluation (reads overlap on PostgreSQL and the blob store). */
const GATHER_CONCURRENCY = 8;
/** Images whose results one re-evaluation transaction commits. */
const BATCH = 50;
/** Referrers that are signatures (their push re-evaluates the subject as "signature attached"). */
const SIGNATURE_REFERRER_TYPES: ReadonlySet<string> = new Set([COSIGN_REFERRER_TYPE, ...SIGSTORE_BUNDLE_TYPES, NOTATION_SIGNATURE_TYPE]);
/** cosign's tags for an image's signatures, attestations and SBOMs: artifacts, not images to judge. */
const COSIGN_ARTIFACT_TAG = /^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/;

async function isCosignArtifact(store: Pick<Store, 'tags'>, repository: string, digest: string): Promise<boolean> {
  return (await store.tags.list(repository, { digest: digest as Digest, n: 20 })).some((t) => COSIGN_ARTIFACT_TAG.test(t.name));
}
const systemRequest = (id: string, why: string): RequestFacts => ({ id, host: '', method: 'POST', useragent: `lazaret-release-policy (${why})`, actor: 'system' });

/** Image manifests are evaluated; indexes are judged by their children, artifacts follow or wait. */
export function isEvaluated(m: Pick<ManifestHead, 'mediaType' | 'configMediaType' | 'subject'>): boolean {
  return !INDEX_MEDIA_TYPES.has(m.mediaType) && !!m.configMediaType && IMAGE_CONFIG_MEDIA_TYPES.has(m.configMediaType) && !m.subject;
}

export function createReleasePolicyServices(options: { store: Store; blobs: BlobStore; logger: Logger; registry: () => Registry; onQueued: (tx: object) => void; onScanQueued: (tx: object) => void; sweepIntervalMs?: number }): ReleasePolicyServices {
  const { store, blobs, logger } = options;
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;
  let lastSweep = new Date();

  const enqueue = (label: string, task: () => Promise<void>) => {
    pending++;
    chain = chain
      .then(task)
      .catch((err) => logger.error({ err: (err as Error).message, task: label }, 'release policy re-evaluation failed'))
      .finally(() => pending--);
  };

  /** One image, now: a page of one (the same reads, the same commit-time checks). */
  const evaluateIn = (manifest: ManifestHead, policy: ReleasePolicyRecord, why: string) => evaluatePage([manifest], policy, why);

  /**
   * A page of a repository's images: inputs gathered (reads only) a few at a time, then the
   * results committed in batches, one transaction per BATCH images rather than one each. On
   * PostgreSQL a commit waits for the WAL flush; on SQLite a batch holds the write lock for a few
   * tens of milliseconds at most. What governs is read again in each batch's transaction, as
   * evaluateIn does: a policy changed meanwhile re-runs anyway, so its images are left alone.
   */
  async function evaluatePage(manifests: ManifestHead[], policy: ReleasePolicyRecord, why: string) {
    const now = new Date();
    const exceptions = await store.policyExceptions.active(now);
    const evaluated: { manifest: ManifestHead; reported: boolean; result: EvaluationResult }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(GATHER_CONCURRENCY, manifests.length) }, async () => {
        while (next < manifests.length) {
          const manifest = manifests[next++]!;
          const input = await gatherInput(store, blobs, manifest, { now, exceptions });
          evaluated.push({ manifest, reported: !!input.report, result: evaluatePolicy(policy.document, input) });
        }
      }),
    );
    for (let i = 0; i < evaluated.length; i += BATCH) {
      const batch = evaluated.slice(i, i + BATCH);
      await store.transaction(async (tx) => {
        const g = await governingIn(tx, batch[0]!.manifest.repository);
        if (g?.kind !== 'release' || g.policy.name !== policy.name || g.policy.version !== policy.version) return;
        for (const { manifest, reported, result } of batch) {
          if (!(await tx.manifests.getHead(manifest.repository, manifest.digest))) continue;
          await applyEvaluation(tx, options.registry(), manifest, g.policy, result, { request: systemRequest(`policy-${policy.name}-${policy.version}`, why), now, why, onQueued: options.onQueued });
          if (!reported && !(await tx.scanJobs.latest(manifest.repository, manifest.digest, ['pending', 'submitted'])) && policy.document.rules.some((r) => r.vulnerabilities)) {
            await queueScan(tx, manifest.repository, manifest.digest as Digest, 'backlog', options.onScanQueued as never);
          }
        }
      });
    }
  }

  /** `keepAlive` after each page: false when the job's claim was lost (another node runs it now). */
  async function evaluateRepository(repository: string, why: string, keepAlive?: () => Promise<boolean>) {
    const policies = await store.releasePolicies.list();
    const g = governingOf(policies, repository);
    if (!g) return;
    let last: string | undefined;
    for (;;) {
      const page = await store.manifests.list(repository, { n: PAGE, ...(last ? { last } : {}) });
      const images: ManifestHead[] = [];
      const candidates = page.filter(isEvaluated);
      // Signatures that follow a subject but lost their cosign tag look like images too.
      const followers = candidates.length ? await store.verdicts.followed(repository, candidates.map((m) => m.digest as Digest)) : new Map();
      for (const m of candidates) if (!followers.has(m.digest as Digest) && !(await isCosignArtifact(store, repository, m.digest))) images.push(m);
      await evaluatePage(images, g.policy, why);
      if (page.length < PAGE || (keepAlive && !(await keepAlive()))) break;
      last = page.at(-1)!.digest;
    }
  }

  async function repositoriesMatching(patterns: string[]): Promise<string[]> {
    const out: string[] = [];
    let last: string | undefined;
    for (;;) {
      const names = await store.repositories.list({ n: 1000, ...(last ? { last } : {}) });
      for (const n of names) if (patterns.some((p) => p === '**' || matchesPolicyPattern(p, n))) out.push(n);
      if (names.length < 1000) break;
      last = names.at(-1);
    }
    return out;
  }

  /** Claims jobs until none is claimable; each continues after its recorded cursor. */
  async function drainJobs() {
    drainQueued = false;
    for (;;) {
      const job = await store.releaseReevaluations.claim({ now: new Date(), leaseMs: JOB_LEASE_MS });
      if (!job) return;
      let held = true;
      const keepAlive = async () => (held = await store.releaseReevaluations.progress(job, job.cursor ?? '', new Date(Date.now() + JOB_LEASE_MS)));
      // Repositories come in name order, so "after the cursor" is exactly what is left.
      for (const repository of await repositoriesMatching(job.patterns)) {
        if (job.cursor !== undefined && repository <= job.cursor) continue;
        await evaluateRepository(repository, job.why, keepAlive);
        if (!held) break;
        job.cursor = repository;
        if (!(await keepAlive())) break;
      }
      if (held) await store.releaseReevaluations.finish(job);
    }
  }
  let drainQueued = false;
  const runJobs = () => {
    if (drainQueued) return;
    drainQueued = true;
    enqueue('re-evaluation jobs', drainJobs);
  };

  const services: ReleasePolicyServices = {
    scanDecider: {
      async prepare(manifest, known) {
        const g = governingOf(await store.releasePolicies.list(), manifest.repository);
        // cosign's tag-scheme artifacts look like images: the scanner's threshold judges them, not the policy.
        if (!g || !isEvaluated(manifest) || (await isCosignArtifact(store, manifest.repository, manifest.digest))) return undefined;
        if ((await store.verdicts.followed(manifest.repository, [manifest.digest as Digest])).size > 0) return undefined;
        const input = await gatherInput(store, blobs, manifest, { known });
        return { policy: g.policy, result: evaluatePolicy(g.policy.document, input) };
      },
      async decide(tx, manifest, prepared, request) {
        const g = await governingIn(tx, manifest.repository);
        if (g?.kind !== 'release') return false;
        if (g.policy.name !== prepared.policy.name || g.policy.version !== prepared.policy.version) {
          // The policy changed while the scan finished: its re-evaluation decides; hold meanwhile.
          enqueue('scan after policy change', () => evaluateRepository(manifest.repository, 'policy changed during the scan'));
          return true;
        }
        await applyEvaluation(tx, options.registry(), manifest, g.policy, prepared.result, { request, now: new Date(), why: 'scan finished', onQueued: options.onQueued });
        return true;
      },
    },
    reevaluationQueued: runJobs,
    async requestReevaluation(patterns, why) {
      await store.releaseReevaluations.enqueue({ patterns, why });
      runJobs();
    },
    subjectChanged(repository, digest) {
      enqueue('subject changed', async () => {
        // The push's transaction may not have committed yet when this runs: wait for it briefly.
        let m: ManifestHead | undefined;
        for (let i = 0; i < 40 && !(m = await store.manifests.getHead(repository, digest as Digest)); i++) await new Promise((r) => setTimeout(r, 25));
        if (!m) return;
        const subjects = new Set<string>();
        if (m.subject) subjects.add(m.subject);
        const tags = (await store.tags.list(repository, { digest: digest as Digest, n: 20 })).map((t) => t.name);
        const sigTag = tags.map((t) => /^sha256-([0-9a-f]{64})\.sig$/.exec(t)?.[1]).find(Boolean);
        const attTag = tags.map((t) => /^sha256-([0-9a-f]{64})\.att$/.exec(t)?.[1]).find(Boolean);
        if (sigTag) subjects.add(`sha256:${sigTag}`);
        if (attTag) subjects.add(`sha256:${attTag}`);
        const g = governingOf(await store.releasePolicies.list(), repository);
        if (!g) return;
        for (const s of subjects) {
          const subject = await store.manifests.getHead(repository, s as Digest);
          const signed = (m.artifactType !== undefined && SIGNATURE_REFERRER_TYPES.has(m.artifactType)) || sigTag;
          const attested = attTag || (m.artifactType !== undefined && ATTESTATION_REFERRER_TYPES.includes(m.artifactType));
          if (subject && isEvaluated(subject)) await evaluateIn(subject, g.policy, signed ? 'signature attached' : attested ? 'attestation attached' : m.artifactType === OPENVEX_TYPE ? 'VEX document attached' : 'artifact attached');
          // A signature of a VEX document is what makes it trusted: the image the VEX is about is evaluated again.
          else if (signed && subject?.artifactType === OPENVEX_TYPE && subject.subject) {
            const image = await store.manifests.getHead(repository, subject.subject as Digest);
            if (image && isEvaluated(image)) await evaluateIn(image, g.policy, 'VEX document signed');
          }
        }
      });
    },
    async evaluateOne(repository, digest, why) {
      const m = await store.manifests.getHead(repository, digest as Digest);
      const g = governingOf(await store.releasePolicies.list(), repository);
      if (m && g && isEvaluated(m)) await evaluateIn(m, g.policy, why);
    },
    async sweep(now = new Date()) {
      let requarantined = 0;
      for (const e of await store.releaseEvaluations.dueForRequarantine(now, 500)) {
        const done = await store.transaction(async (tx) => {
          const verdict = await tx.verdicts.get(e.repository, e.digest as Digest);
          const current = await tx.releaseEvaluations.get(e.repository, e.digest);
          if (verdict?.state !== 'Passed' || !current?.requarantineAt || current.requarantineAt > now) {
            if (current && verdict?.state !== 'Passed') await tx.releaseEvaluations.put({ ...current, requarantineAt: undefined } as never);
            return false;
          }
          const manifest = await tx.manifests.getHead(e.repository, e.digest as Digest);
          if (!manifest) return false;
          const failed = current.rules.filter((r) => !r.passed);
          const request = { ...systemRequest(`requarantine-${e.policy}`, 'requarantine'), actor: `policy:${e.policy}` };
          await policyVerdictWriter(options.registry(), e.policy, e.repository).changeVerdictIn(
            tx,
            manifest,
            {
              state: 'Quarantined',
              details: JSON.stringify({ scanner: `policy:${e.policy}`, state: `release policy ${e.policy} v${current.version}: requarantined after the grace period: ${failed.map((r) => r.rule).join(', ')}`.slice(0, 500), result: { version: `${e.policy} v${current.version}`, summary: [], description: failed.map((r) => `${r.rule}: ${r.reason}`).join('; ').slice(0, 1000) } }),
              note: `requarantined by release policy ${e.policy} v${current.version}: violating since ${current.violatingSince?.toISOString()}`,
              decision: decisionOf(e.policy, current.version, current.rules),
            },
            request,
          );
          const { requarantineAt: _r, violatingSince: _v, ...rest } = current;
          await tx.releaseEvaluations.put({ ...rest, evaluatedAt: now });
          const names = await raiseEvent(tx, quarantineEvent({ repository: e.repository, digest: e.digest, size: manifest.size }, request));
          if (names.length) options.onQueued(tx);
          return true;
        });
        if (done) requarantined++;
      }
      const expired = (await store.policyExceptions.list({ status: ['active'], n: 5000 })).filter((x) => x.expiresAt > lastSweep && x.expiresAt <= now);
      lastSweep = now;
      if (expired.length) {
        await services.requestReevaluation([...new Set(expired.flatMap(exceptionPatterns))], 'exception expired');
      }
      // Jobs another node left behind (its lease ran out) are taken up here.
      runJobs();
      return { requarantined, expired: expired.length };
    },
    idle: async () => {
      while (pending > 0) await chain;
    },
    start() {
      const tick = () => {
        services.sweep().catch((err) => logger.error({ err: (err as Error).message }, 'release policy sweep failed'));
      };
      timer = setInterval(tick, options.sweepIntervalMs ?? 30_000);
      timer.unref();
      runJobs();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await services.idle();
    },
  };
  return services;
}
