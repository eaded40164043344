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
import type { CoreRoles, ManifestHead } from '../metadata/metadata-store.ts';
import type { QuarantineRoles } from '../quarantine/store/index.ts';
import type { EventRoles } from '../events/store/index.ts';
import type { ReleasePolicyRoles } from './store/index.ts';
import type { ReleasePolicyRecord, RuleResult } from './policy-store.ts';
import type { EvaluationResult } from './evaluate.ts';
import type { Registry } from '../registry/index.ts';
import { verdictWriterAccess } from '../access/actions.ts';
import { readPolicy } from '../quarantine/policy.ts';
import { raiseEvent } from '../events/index.ts';
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
  const current = await tx.verdicts.get(manifest.repository, manifest.digest);
  const previous = await tx.releaseEvaluations.get(manifest.repository, manifest.digest);
  const record = { repository: manifest.repository, digest: manifest.digest, policy: policy.name, version: policy.version, passed: result.passed, rules: result.rules, evaluatedAt: ctx.now };

  if (current?.state === 'Passed') {
    if (result.passed) {
      await tx.releaseEvaluations.put(record);
      return { state: 'Passed', changed: false };
    }
    const since = previous?.violatingSince ?? ctx.now;
    const grace = durationMs(policy.document.gracePeriod ?? DEFAULT_GRACE);
    const requarantineAt = policy.document.onViolation === 'requarantine' ? previous?.requarantineAt ?? new Date(ctx.now.getTime() + grace) : undefined;
    await tx.releaseEvaluations.put({ ...record, violatingSince: since, ...(requarantineAt ? { requarantineAt } : {}) });
    const isNew = !previous?.violatingSince || describeRules(previous.rules) !== describeRules(result.rules);
    if (isNew) {
      await tx.audit.append({
        actor: `policy:${policy.name}`,
        action: 'release-policy.violation',
        target: `${manifest.repository}@${manifest.digest}`,
        before: previous ? { version: previous.version, passed: previous.passed, failed: previous.rules.filter((r) => !r.passed).map((r) => r.rule) } : null,
        after: { version: policy.version, passed: false, failed: result.rules.filter((r) => !r.passed).map((r) => r.rule), onViolation: policy.document.onViolation, ...(requarantineAt ? { requarantineAt: requarantineAt.toISOString() } : {}) },
        details: `released image violates release policy ${policy.name} v${policy.version} (${ctx.why}): ${describeRules(result.rules)}`.slice(0, 4000),
        requestId: ctx.request.id,
      });
      const names = await raiseEvent(tx, {
        ...quarantineEvent({ repository: manifest.repository, digest: manifest.digest, size: manifest.size }, ctx.request),
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
      if (names.length) ctx.onQueued?.(tx);
    }
    return { state: 'Passed', changed: false, drift: isNew ? 'new' : 'ongoing' };
  }

  await tx.releaseEvaluations.put(record);
  if (current?.state === 'Failed' && !DECIDERS.test(current.updatedBy)) return { state: 'Failed', changed: false };
  const details = detailsOf(policy, result);
  const before = current?.state;
  const decision = decisionOf(policy.name, policy.version, result.rules);
  const after = await policyVerdictWriter(registry, policy.name, manifest.repository).changeVerdictIn(tx, manifest, { state: result.state, details, note: `decided by release policy ${policy.name} v${policy.version} (${ctx.why})`, decision }, { ...ctx.request, actor: `policy:${policy.name}` });
  return { state: after.state, changed: after.state !== before };
}
