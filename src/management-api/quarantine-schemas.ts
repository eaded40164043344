/**
 * TypeBox schemas of /api/v1/quarantine (quarantine.ts): the queue, preflight and the bulk
 * operations. Schema-only: the CLI and the portal import them as types (docs/architecture.md
 * "Wire types"), and the route table declares the same objects.
 */
import { Type } from 'typebox';
import { QueueScanView } from '../scan/scan-schemas.ts';

export const QueueQuery = Type.Object({
  state: Type.Optional(Type.String({ maxLength: 100, description: 'comma-separated: absent, Quarantined, Failed, Passed' })),
  repository: Type.Optional(Type.String({ maxLength: 255, description: 'only this repository' })),
  q: Type.Optional(Type.String({ maxLength: 255, description: 'only repositories whose name contains this (queue only)' })),
  waiting: Type.Optional(
    Type.Boolean({ description: 'queue only: of the manifests without a verdict or Quarantined, just those that wait for one (Quarantined, or none where the switch or a release policy gates the repository); default `state` then absent,Quarantined' }),
  ),
  last: Type.Optional(Type.String({ maxLength: 2000, description: "the previous page's `next`" })),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

export const BulkBody = Type.Object(
  {
    repository: Type.Optional(Type.String({ maxLength: 255 })),
    state: Type.Optional(Type.String({ maxLength: 100, description: 'rescan only; default absent' })),
  },
  { additionalProperties: false },
);

const QuarantineState = Type.Union([Type.Literal('Quarantined'), Type.Literal('Passed'), Type.Literal('Failed')]);

/** A manifest with its verdict (null: none yet), as the queue and preflight list it. */
export const VerdictRow = Type.Object({
  repository: Type.String(),
  digest: Type.String(),
  mediaType: Type.String(),
  size: Type.Integer(),
  createdTime: Type.String(),
  quarantineState: Type.Union([QuarantineState, Type.Null()]),
  quarantineDetails: Type.Union([Type.String(), Type.Null()]),
  verdictUpdatedAt: Type.Union([Type.String(), Type.Null()]),
  verdictUpdatedBy: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Optional(Type.Array(Type.String())),
});

export const QueueRow = Type.Object({
  ...VerdictRow.properties,
  waiting: Type.Boolean({ description: 'waits for a verdict: Quarantined, or none where the gate governs the repository' }),
  scan: Type.Union([QueueScanView, Type.Null()], { description: "the manifest's newest scan job" }),
});

export const QueuePage = Type.Object({ manifests: Type.Array(QueueRow), next: Type.Optional(Type.String({ description: 'pass as `last` for the next page' })) });

const Counts = Type.Object({ absent: Type.Integer(), Quarantined: Type.Integer(), Passed: Type.Integer(), Failed: Type.Integer() });

export const Preflight = Type.Object({
  policy: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
  wouldHold: Type.Integer({ description: 'manifests that would be held: no verdict, Quarantined or Failed' }),
  counts: Counts,
  manifests: Type.Array(VerdictRow),
  next: Type.Optional(Type.String()),
});

export const RescanResult = Type.Object({ requested: Type.Integer() });
export const GrandfatherResult = Type.Object({ passed: Type.Integer() });

/** The quarantine switch as ACR's `properties.policies` shapes it (GET/PATCH /api/v1/policies). */
export const PolicyStatus = Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]);
/** The body: other ACR policies (trustPolicy, retentionPolicy, ...) are accepted and ignored. */
export const Policies = Type.Object(
  { quarantinePolicy: Type.Optional(Type.Object({ status: PolicyStatus }, { additionalProperties: true })) },
  { additionalProperties: true },
);
export const PoliciesResponse = Type.Object({ quarantinePolicy: Type.Object({ status: PolicyStatus }) });
