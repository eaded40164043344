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
  kind: Type.String({ description: 'vulnerabilities, signatures, sbom, provenance or cel' }),
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

/** GET /api/v1/release-policies/{name}: the view with the document and the text as applied. */
export const ReleasePolicyDetail = Type.Object({
  ...ReleasePolicyView.properties,
  document: Type.Optional(Type.Unknown({ description: 'the policy document as stored (document.ts)' })),
  source: Type.Optional(Type.String({ description: 'the YAML or JSON text as applied' })),
});

/** POST /api/v1/release-policies and PUT .../{name} (201 when created): the policy and what applying changed. */
export const AppliedReleasePolicy = Type.Object({
  ...ReleasePolicyDetail.properties,
  changed: Type.Boolean({ description: 'false when the document equals the stored one (no new version)' }),
  warnings: Type.Array(Type.String()),
  diff: Type.String({ description: 'a unified diff of the change; empty when unchanged' }),
});

/** GET /api/v1/release-policies/{name}/versions, newest first. */
export const ReleasePolicyVersions = Type.Object({
  versions: Type.Array(Type.Object({ version: Type.Integer(), deleted: Type.Boolean(), changedAt: Type.String(), changedBy: Type.String(), document: Type.Optional(Type.Unknown()) })),
});

/** GET .../{name}/diff (two stored versions; from 0: nothing) and POST .../{name}/diff (the stored one and a document, with its warnings). */
export const ReleasePolicyDiff = Type.Object({
  name: Type.String(),
  from: Type.Integer(),
  to: Type.Optional(Type.Integer()),
  diff: Type.String(),
  warnings: Type.Optional(Type.Array(Type.String())),
});

/** POST /api/v1/release-policies:evaluate: what a document would do to existing images (a dry run). */
export const DryRunResult = Type.Object({
  policy: Type.String(),
  wouldRelease: Type.Integer(),
  wouldHold: Type.Integer(),
  wouldFail: Type.Integer(),
  wouldFlagReleased: Type.Integer(),
  unchanged: Type.Integer(),
  images: Type.Array(
    Type.Object({
      repository: Type.String(),
      digest: Type.String(),
      tags: Type.Array(Type.String()),
      quarantineState: Type.Union([Type.String(), Type.Null()]),
      wouldBe: Type.String(),
      change: Type.String({ description: 'release, hold, fail, flag-released or unchanged' }),
      rules: Type.Array(Type.Object({ rule: Type.String(), passed: Type.Boolean(), pending: Type.Optional(Type.Boolean()), reason: Type.String() })),
    }),
  ),
  truncated: Type.Optional(Type.Boolean({ description: 'only the first n images were evaluated' })),
});

/** POST /api/v1/release-policies/{name}/evaluate (202). */
export const ReevaluationQueued = Type.Object({ policy: Type.String(), version: Type.Integer(), status: Type.String() });

/** An exception to a finding (/api/v1/policy-exceptions; exceptions.ts). `expired` is an active one past its date. */
export const ExceptionView = Type.Object({
  id: Type.String(),
  vulnerability: Type.String(),
  scope: Type.Union([Type.Literal('digest'), Type.Literal('repository'), Type.Literal('all')]),
  repository: Type.Optional(Type.String()),
  digest: Type.Optional(Type.String()),
  reason: Type.String(),
  ticket: Type.Optional(Type.String()),
  owner: Type.String(),
  createdAt: Type.String(),
  expiresAt: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  approvedBy: Type.Optional(Type.String()),
  approvedAt: Type.Optional(Type.String()),
  revokedBy: Type.Optional(Type.String()),
  revokedAt: Type.Optional(Type.String()),
});
export const ExceptionList = Type.Object({ exceptions: Type.Array(ExceptionView) });
