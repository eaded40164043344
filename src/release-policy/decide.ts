/**
 * From an evaluation to the verdict, through the one verdict path (the registry service's
 * changeVerdictIn, acting as `policy:<name>` with quarantine write on the image's repository
 * only), in the caller's transaction, and the record of the evaluation ("why held").
 *
 * Which verdicts an evaluation changes:
 * - no verdict, Quarantined: -> Passed, Failed or Quarantined as evaluated;
 * - Failed: -> as evaluated, when the Failed was decided by a policy, a scanner or the system
 *   (a new finding excepted, a rule relaxed); a Failed set by a person stays (their call);
 * - Passed: never changed at evaluation. A violation is DRIFT, handled by the policy's
 *   `onViolation`: `notify` records it (the evaluation's `violatingSince`, an audit entry
 *   `release-policy.violation` and a `quarantine` webhook event naming the failed rules), the
 *   image stays released; `requarantine` does the same and sets `requarantineAt` = now + grace
 *   period, when the sweep (release-services.ts) puts it back to Quarantined through
 *   the same verdict path — the image is never without a verdict in between. An evaluation that passes
 *   again clears the drift.
 * The audit entry of every verdict change names the policy and version that decided.
 */
import type { RequestFacts } from '../events/index.ts';
import type { AuditInput, CoreRoles, ManifestHead } from '../metadata/metadata-store.ts';
import type { QuarantineRoles } from '../quarantine/store/index.ts';
import type { VerdictDecision } from '../quarantine/verdict-change.ts';
import type { EventRoles } from '../events/store/index.ts';
import type { ReleasePolicyRoles } from './store/index.ts';
import type { EvaluationRecord, ReleasePolicyRecord, RuleResult } from './policy-store.ts';
import type { EvaluationResult } from './evaluate.ts';
import type { Registry } from '../registry/index.ts';
import { verdictWriterAccess } from '../access/actions.ts';
import { readPolicy } from '../quarantine/policy.ts';
import { raiseEvents, type EventPayload } from '../events/index.ts';
import { quarantineEvent } from '../events/index.ts';
import { DEFAULT_GRACE, durationMs } from './document.ts';
import { governingPolicy } from './patterns.ts';

export type DecideTx = CoreRoles & QuarantineRoles & EventRoles & ReleasePolicyRoles;

export type Governing = { kind: 'release'; policy: ReleasePolicyRecord; pattern: string } | { kind: 'default' };

/** Who governs `repository` right now, read in `tx`: a release policy, the registry-wide switch, or nobody. */
export async function governingIn(tx: Pick<CoreRoles, 'settings'> & Pick<ReleasePolicyRoles, 'releasePolicies'>, repository: string): Promise<Governing | undefined> {
  const found = governingOf(await tx.releasePolicies.list(), repository);
  if (found) return found;
  return (await readPolicy(tx.settings)).status === 'enabled' ? { kind: 'default' } : undefined;
}

export function governingOf(policies: readonly ReleasePolicyRecord[], repository: string): { kind: 'release'; policy: ReleasePolicyRecord; pattern: string } | undefined {
  const g = governingPolicy(policies.map((p) => ({ name: p.name, repositories: p.document.repositories, enabled: p.document.enabled, record: p })), repository);
  return g && { kind: 'release', policy: g.policy.record, pattern: g.pattern };
}

const DECIDERS = /^(policy:|scanner:|system$)/;

function describeRules(rules: RuleResult[]): string {
  return rules.filter((r) => !r.passed).map((r) => `${r.rule}: ${r.reason}`).join('; ');
}

/** quarantineDetails in ACR's schema (src/quarantine/details-schema.ts), naming every failed rule. */
export function detailsOf(policy: ReleasePolicyRecord, result: EvaluationResult): string {
  const failed = result.rules.filter((r) => !r.passed && !r.pending).map((r) => r.rule);
  const pending = result.rules.filter((r) => r.pending).map((r) => r.rule);
  const state = result.state === 'Passed'
    ? `release policy ${policy.name} v${policy.version}: every rule passed`
    : `release policy ${policy.name} v${policy.version}: ${failed.length ? `failed ${failed.join(', ')}` : ''}${failed.length && pending.length ? '; ' : ''}${pending.length ? `held by ${pending.join(', ')}` : ''}`;
  const description = (result.state === 'Passed' ? result.rules.map((r) => `${r.rule}: ${r.reason}`).join('; ') : describeRules(result.rules)).slice(0, 1000);
  return JSON.stringify({ scanner: `policy:${policy.name}`, state: state.slice(0, 500), result: { version: `${policy.name} v${policy.version}`, summary: [], description } });
}

/** What the audit entry of a policy's verdict keeps (VerdictDecision): version, failed and pending rules, exceptions used. */
export function decisionOf(policy: string, version: number, rules: RuleResult[]) {
  const exceptions = new Set<string>();
  for (const r of rules) {
    const used = r.evidence?.exceptions;
    if (Array.isArray(used)) for (const id of used) if (typeof id === 'string') exceptions.add(id);
  }
  return {
    policy,
    version,
    failed: rules.filter((r) => !r.passed && !r.pending).map((r) => r.rule),
    pending: rules.filter((r) => r.pending).map((r) => r.rule),
    exceptions: [...exceptions].slice(0, 50),
  };
}

/** A release policy's principal: it changes verdicts of `repository` and nothing else. */
export function policyVerdictWriter(registry: Registry, policy: string, repository: string) {
  return registry.as(verdictWriterAccess(`policy:${policy}`, repository));
}

export interface Decision {
  /** The verdict after the decision (unchanged when the evaluation may not change it). */
  state: string | undefined;
  changed: boolean;
  drift?: 'new' | 'ongoing';
}

export async function applyEvaluation(
  tx: DecideTx,
  registry: Registry,
  manifest: ManifestHead & { blobs?: unknown },
  policy: ReleasePolicyRecord,
  result: EvaluationResult,
  ctx: { request: RequestFacts; now: Date; why: string; onQueued?: (tx: DecideTx) => void },
): Promise<Decision> {
  return (await applyEvaluations(tx, registry, [{ manifest, result }], policy, ctx))[0]!;
}

/**
 * applyEvaluation of several images of ONE repository (a re-evaluation's batch), each decided
 * exactly as alone, with the statements batched: the verdicts and previous evaluations read
 * once, the evaluations written in one upsert, the drift entries appended under one audit lock,
 * the verdict changes through the verdict path's batch (changeVerdictsIn). Decisions in order.
 */
export async function applyEvaluations(
  tx: DecideTx,
  registry: Registry,
  items: readonly { manifest: ManifestHead & { blobs?: unknown }; result: EvaluationResult }[],
  policy: ReleasePolicyRecord,
  ctx: { request: RequestFacts; now: Date; why: string; onQueued?: (tx: DecideTx) => void },
): Promise<Decision[]> {
  if (items.length === 0) return [];
  const repository = items[0]!.manifest.repository;
  if (items.some((i) => i.manifest.repository !== repository)) throw new Error('applyEvaluations: one repository per call');
  const digests = items.map((i) => i.manifest.digest);
  const currentOf = await tx.verdicts.getMany(repository, digests);
  const previousOf = await tx.releaseEvaluations.getMany(repository, digests);
  const evaluations: EvaluationRecord[] = [];
  const violations: AuditInput[] = [];
  const events: EventPayload[] = [];
  const changes: { at: number; manifest: ManifestHead; change: { state: EvaluationResult['state']; details: string; note: string; decision: VerdictDecision } }[] = [];
  const decisions: Decision[] = [];

  items.forEach(({ manifest, result }, at) => {
    const current = currentOf.get(manifest.digest);
    const previous = previousOf.get(manifest.digest);
    const record = { repository, digest: manifest.digest, policy: policy.name, version: policy.version, passed: result.passed, rules: result.rules, evaluatedAt: ctx.now };

    if (current?.state === 'Passed') {
      if (result.passed) {
        evaluations.push(record);
        decisions[at] = { state: 'Passed', changed: false };
        return;
      }
      const since = previous?.violatingSince ?? ctx.now;
      const grace = durationMs(policy.document.gracePeriod ?? DEFAULT_GRACE);
      const requarantineAt = policy.document.onViolation === 'requarantine' ? previous?.requarantineAt ?? new Date(ctx.now.getTime() + grace) : undefined;
      evaluations.push({ ...record, violatingSince: since, ...(requarantineAt ? { requarantineAt } : {}) });
      const isNew = !previous?.violatingSince || describeRules(previous.rules) !== describeRules(result.rules);
      if (isNew) {
        violations.push({
          actor: `policy:${policy.name}`,
          action: 'release-policy.violation',
          target: `${repository}@${manifest.digest}`,
          before: previous ? { version: previous.version, passed: previous.passed, failed: previous.rules.filter((r) => !r.passed).map((r) => r.rule) } : null,
          after: { version: policy.version, passed: false, failed: result.rules.filter((r) => !r.passed).map((r) => r.rule), onViolation: policy.document.onViolation, ...(requarantineAt ? { requarantineAt: requarantineAt.toISOString() } : {}) },
          details: `released image violates release policy ${policy.name} v${policy.version} (${ctx.why}): ${describeRules(result.rules)}`.slice(0, 4000),
          requestId: ctx.request.id,
        });
        events.push({
          ...quarantineEvent({ repository, digest: manifest.digest, size: manifest.size }, ctx.request),
          policy: {
            name: policy.name,
            version: policy.version,
            violation: true,
            onViolation: policy.document.onViolation,
            quarantineState: 'Passed',
            ...(requarantineAt ? { requarantineAt: requarantineAt.toISOString() } : {}),
            failed: result.rules.filter((r) => !r.passed).map((r) => ({ rule: r.rule, reason: r.reason })),
            ...(previous ? { previouslyFailed: previous.rules.filter((r) => !r.passed).map((r) => r.rule) } : {}),
          },
        });
      }
      decisions[at] = { state: 'Passed', changed: false, drift: isNew ? 'new' : 'ongoing' };
      return;
    }

    evaluations.push(record);
    if (current?.state === 'Failed' && !DECIDERS.test(current.updatedBy)) {
      decisions[at] = { state: 'Failed', changed: false };
      return;
    }
    changes.push({ at, manifest, change: { state: result.state, details: detailsOf(policy, result), note: `decided by release policy ${policy.name} v${policy.version} (${ctx.why})`, decision: decisionOf(policy.name, policy.version, result.rules) } });
  });

  await tx.releaseEvaluations.putMany(evaluations);
  if (violations.length > 0) await tx.audit.appendMany(violations);
  if ((await raiseEvents(tx, events)).some((names) => names.length > 0)) ctx.onQueued?.(tx);
  if (changes.length > 0) {
    const after = await policyVerdictWriter(registry, policy.name, repository).changeVerdictsIn(tx, changes, { ...ctx.request, actor: `policy:${policy.name}` });
    changes.forEach(({ at, manifest }, i) => {
      decisions[at] = { state: after[i]!.state, changed: after[i]!.state !== currentOf.get(manifest.digest)?.state };
    });
  }
  return decisions;
}
