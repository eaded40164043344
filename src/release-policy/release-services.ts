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
import { gatherInput, pageReader, type KnownScan } from './evaluation-input.ts';
import { applyEvaluation, applyEvaluations, decisionOf, governingIn, governingOf, policyVerdictWriter, type DecideTx } from './decide.ts';
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
interface Evaluated {
  manifest: ManifestHead;
  reported: boolean;
  result: EvaluationResult;
}
/** A page of a repository, gathered and evaluated; no policy: none governs the repository. */
interface GatheredPage {
  repository: string;
  last: boolean;
  policy?: ReleasePolicyRecord;
  now?: Date;
  evaluated?: Evaluated[];
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
  const evaluateIn = async (manifest: ManifestHead, policy: ReleasePolicyRecord, why: string) => commitPage({ repository: manifest.repository, policy, ...(await gatherPage([manifest], policy)) }, why);

  /**
   * The reads of a page of ONE repository's images and their evaluations (nothing written):
   * the page's database reads made once (pageReader), then each image's inputs gathered a few
   * at a time (its config from the blob store) and evaluated.
   */
  async function gatherPage(manifests: ManifestHead[], policy: ReleasePolicyRecord): Promise<{ now: Date; evaluated: Evaluated[] }> {
    const now = new Date();
    const evaluated: Evaluated[] = [];
    if (manifests.length === 0) return { now, evaluated };
    const exceptions = await store.policyExceptions.active(now);
    const reader = await pageReader(store, manifests[0]!.repository, manifests.map((m) => m.digest));
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(GATHER_CONCURRENCY, manifests.length) }, async () => {
        while (next < manifests.length) {
          const manifest = manifests[next++]!;
          const input = await gatherInput(reader, blobs, manifest, { now, exceptions });
          evaluated.push({ manifest, reported: !!input.report, result: await evaluatePolicy(policy.document, input) });
        }
      }),
    );
    return { now, evaluated };
  }

  /**
   * Commits a gathered page in batches, one transaction per BATCH images rather than one each,
   * with the batch's statements batched too (applyEvaluations). On PostgreSQL every statement is
   * a round trip and most of the engine's CPU (bench/README.md, release policy), and a commit
   * waits for the WAL flush; on SQLite a batch holds the write lock for a few tens of
   * milliseconds at most. What governs is read again in each batch's transaction: a policy
   * changed since the page was gathered re-runs anyway, so its images are left alone.
   */
  async function commitPage(page: { repository: string; policy: ReleasePolicyRecord; now: Date; evaluated: Evaluated[] }, why: string) {
    const { repository, policy, now, evaluated } = page;
    for (let i = 0; i < evaluated.length; i += BATCH) {
      const batch = evaluated.slice(i, i + BATCH);
      await store.transaction(async (tx) => {
        const g = await governingIn(tx, repository);
        if (g?.kind !== 'release' || g.policy.name !== policy.name || g.policy.version !== policy.version) return;
        const heads = await tx.manifests.getHeads(repository, batch.map((b) => b.manifest.digest));
        const present = batch.filter((b) => heads.has(b.manifest.digest));
        await applyEvaluations(tx, options.registry(), present, g.policy, { request: systemRequest(`policy-${policy.name}-${policy.version}`, why), now, why, onQueued: options.onQueued });
        for (const { manifest, reported } of present) {
          if (!reported && !(await tx.scanJobs.latest(manifest.repository, manifest.digest, ['pending', 'submitted'])) && policy.document.rules.some((r) => r.vulnerabilities)) {
            await queueScan(tx, manifest.repository, manifest.digest as Digest, 'backlog', options.onScanQueued as never);
          }
        }
      });
    }
  }

  /** The repositories' pages, gathered one at a time as they are asked for; `last` ends a repository (also one no policy governs: nothing to commit). */
  async function* gatheredPages(repositories: readonly string[]): AsyncGenerator<GatheredPage> {
    for (const repository of repositories) {
      const g = governingOf(await store.releasePolicies.list(), repository);
      if (!g) {
        yield { repository, last: true };
        continue;
      }
      let last: string | undefined;
      for (;;) {
        const page = await store.manifests.list(repository, { n: PAGE, ...(last ? { last } : {}) });
        // cosign's tag-scheme artifacts are not judged, nor signatures that follow a subject but
        // lost their cosign tag (they look like images too): one statement each for the page.
        const candidates = page.filter(isEvaluated);
        const digests = candidates.map((m) => m.digest);
        const [tagsOf, followers] = candidates.length ? await Promise.all([store.tags.namesOf(repository, digests), store.verdicts.followed(repository, digests)]) : [new Map<Digest, string[]>(), new Map<Digest, Digest>()];
        const images = candidates.filter((m) => !followers.has(m.digest) && !(tagsOf.get(m.digest) ?? []).some((t) => COSIGN_ARTIFACT_TAG.test(t)));
        const end = page.length < PAGE;
        yield { repository, last: end, policy: g.policy, ...(await gatherPage(images, g.policy)) };
        if (end) break;
        last = page.at(-1)!.digest;
      }
    }
  }

  /**
   * Evaluates the repositories page by page, gathering the next page while the current one
   * commits (one page ahead): a page's reads, blob reads and evaluations overlap the previous
   * page's transactions instead of alternating with them. `afterPage` (the job's lease and
   * cursor) returns false to stop: the page gathered ahead is then dropped unwritten.
   */
  async function evaluateRepositories(repositories: readonly string[], why: string, afterPage?: (page: GatheredPage) => Promise<boolean>) {
    const pages = gatheredPages(repositories);
    let ahead = pages.next();
    // A failure of the page ahead surfaces when it is awaited, not as an unhandled rejection meanwhile.
    ahead.catch(() => undefined);
    try {
      for (;;) {
        const current = await ahead;
        if (current.done) return;
        ahead = pages.next();
        ahead.catch(() => undefined);
        const page = current.value;
        if (page.policy && page.evaluated) await commitPage({ ...page, policy: page.policy, now: page.now ?? new Date(), evaluated: page.evaluated }, why);
        if (afterPage && !(await afterPage(page))) return;
      }
    } finally {
      await ahead.catch(() => undefined);
      await pages.return(undefined);
    }
  }

  const evaluateRepository = (repository: string, why: string) => evaluateRepositories([repository], why);

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
      const left = (await repositoriesMatching(job.patterns)).filter((r) => job.cursor === undefined || r > job.cursor);
      await evaluateRepositories(left, job.why, async (page) => {
        if (page.last) job.cursor = page.repository;
        return keepAlive();
      });
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
        return { policy: g.policy, result: await evaluatePolicy(g.policy.document, input) };
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
