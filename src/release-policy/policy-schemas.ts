/**
 * TypeBox schemas of what /api/v1/release-policies and /api/v1/quarantine/why-held answer
 * (routes.ts, evaluation-routes.ts; docs/release-policy.md). Schema-only: the portal imports
 * them as types (docs/architecture.md "Wire types"), and the route table declares the same
 * objects, so a change of shape fails the portal's type check.
 */
import { Type } from 'typebox';

/** One rule of a policy, rendered as one sentence (views.ts). */
export const RuleView = Type.Object({
  name: Type.String(),
  kind: Type.String({ description: 'vulnerabilities, signatures, sbom or cel' }),
  text: Type.String(),
});

/** A policy as listed (GET /api/v1/release-policies). */
export const ReleasePolicyView = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  description: Type.Optional(Type.String()),
  repositories: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  onViolation: Type.Union([Type.Literal('notify'), Type.Literal('requarantine')]),
  gracePeriod: Type.Optional(Type.String()),
  exceptions: Type.Object({ requireApproval: Type.Boolean() }),
  rules: Type.Array(RuleView),
  updatedAt: Type.String(),
  updatedBy: Type.String(),
});

export const ReleasePolicyList = Type.Object({ policies: Type.Array(ReleasePolicyView) });

/** One rule's outcome in an evaluation. */
export const RuleResult = Type.Object({
  rule: Type.String(),
  kind: Type.String(),
  passed: Type.Boolean(),
  /** Not passed, not decided either (no report yet, no signature yet): holds, does not fail. */
  pending: Type.Optional(Type.Boolean()),
  reason: Type.String(),
  /** What the decision rested on (finding ids, key fingerprints, exceptions used), bounded. */
  evidence: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const EvaluationView = Type.Object({
  policy: Type.String(),
  version: Type.Integer(),
  passed: Type.Boolean(),
  evaluatedAt: Type.String(),
  violatingSince: Type.Optional(Type.String()),
  requarantineAt: Type.Optional(Type.String()),
  rules: Type.Array(RuleResult),
});

/** What governs a repository: a release policy (with the pattern that matched), the registry-wide switch, or nothing. */
export const GoverningView = Type.Union([
  Type.Object({ kind: Type.Literal('release-policy'), name: Type.String(), version: Type.Integer(), pattern: Type.String() }),
  Type.Object({ kind: Type.Literal('registry-wide') }),
  Type.Null(),
]);

/** GET /api/v1/quarantine/why-held. */
export const WhyHeldView = Type.Object({
  repository: Type.String(),
  digest: Type.String(),
  quarantineState: Type.Union([Type.Literal('Quarantined'), Type.Literal('Passed'), Type.Literal('Failed'), Type.Null()]),
  held: Type.Boolean(),
  governedBy: GoverningView,
  quarantineDetails: Type.Optional(Type.String()),
  verdictUpdatedAt: Type.Optional(Type.String()),
  verdictUpdatedBy: Type.Optional(Type.String()),
  evaluation: Type.Optional(EvaluationView),
});
