/**
 * Changing a verdict: the one function the PATCH on /acr/v1 and the bulk operations
 * (grandfather) call, inside the caller's transaction. It validates, stores, audits
 * (`verdict.change`: who, when, old, new, details, request id) and, on a change to `Passed`,
 * tells the lifecycle (events raises the deferred `push` events) in the same transaction.
 */
import type { ManifestLifecycle, ManifestReleased, RequestFacts } from '../events/index.ts';
import type { CoreRoles, ManifestHead } from '../metadata/metadata-store.ts';
import type { QuarantineRoles } from './store/index.ts';
import { registryError } from '../errors/index.ts';
import { checkQuarantineDetails } from './details-schema.ts';
import { isQuarantineState, QUARANTINE_STATES, type QuarantineState, type VerdictRecord } from './verdicts.ts';

/** Validates request fields; throws BAD_REQUEST naming the field. */
export function parseVerdictFields(body: { quarantineState?: unknown; quarantineDetails?: unknown }): {
  state?: QuarantineState;
  details?: string;
} {
  const out: { state?: QuarantineState; details?: string } = {};
  if (body.quarantineState !== undefined) {
    if (!isQuarantineState(body.quarantineState)) {
      throw registryError('BAD_REQUEST', `quarantineState must be one of ${QUARANTINE_STATES.join(', ')} (got ${JSON.stringify(body.quarantineState)})`, { field: 'quarantineState' });
    }
    out.state = body.quarantineState;
  }
  if (body.quarantineDetails !== undefined) {
    if (typeof body.quarantineDetails !== 'string') {
      throw registryError('BAD_REQUEST', 'quarantineDetails must be a string holding JSON', { field: 'quarantineDetails' });
    }
    const check = checkQuarantineDetails(body.quarantineDetails);
    if (!check.ok) throw registryError('BAD_REQUEST', `${check.field} ${check.problem}`, { field: check.field });
    out.details = body.quarantineDetails;
  }
  return out;
}

/**
 * What a release policy's verdict rested on, kept in the `verdict.change` entry's `after`
 * (tamper-evident, unlike the evaluation row, which the next evaluation replaces): the policy
 * version that decided, the rules that failed or could not be decided, the exceptions used.
 */
export interface VerdictDecision {
  policy: string;
  version: number;
  failed: string[];
  pending: string[];
  exceptions: string[];
}

export interface VerdictChange {
  /** The manifest whose verdict changes (its head is enough: repository, digest, media type, size). */
  manifest: ManifestHead;
  /** New state; undefined keeps the current one (details-only change). */
  state?: QuarantineState;
  /** New details; undefined keeps the stored ones. */
  details?: string;
  /** Extra audit text (bulk operations say what they were). */
  note?: string;
  decision?: VerdictDecision;
  request: RequestFacts;
}

/**
 * Applies a change. A details-only change of a manifest without a verdict is refused (there
 * is no state to attach details to). Returns the stored verdict, or the current one unchanged
 * when the change is a no-op.
 */
export async function changeVerdict<Tx extends CoreRoles & QuarantineRoles>(tx: Tx, lifecycle: ManifestLifecycle<Tx>, change: VerdictChange): Promise<VerdictRecord> {
  return (await changeVerdicts(tx, lifecycle, [change]))[0]!.record;
}

/**
 * `changeVerdict` of several manifests of ONE repository (a re-evaluation's batch), each
 * exactly as alone: validated (all before anything is written), stored, one audit entry per
 * change, the lifecycle told per change. Fewer statements: the current verdicts are read in
 * one, the changes stored in one upsert, the audit entries appended under one lock (chained
 * in the order of `changes`). Returns per change the verdict after it and the state before.
 */
export async function changeVerdicts<Tx extends CoreRoles & QuarantineRoles>(tx: Tx, lifecycle: ManifestLifecycle<Tx>, changes: readonly VerdictChange[]): Promise<{ record: VerdictRecord; before?: QuarantineState }[]> {
  if (changes.length === 0) return [];
  const repository = changes[0]!.manifest.repository;
  if (changes.some((c) => c.manifest.repository !== repository)) throw new Error('changeVerdicts: one repository per call');
  if (new Set(changes.map((c) => c.manifest.digest)).size !== changes.length) throw new Error('changeVerdicts: one change per manifest');
  const current = await tx.verdicts.getMany(repository, changes.map((c) => c.manifest.digest));
  const out: { record: VerdictRecord; before?: QuarantineState }[] = [];
  const writes: { at: number; change: VerdictChange; state: QuarantineState }[] = [];
  changes.forEach((change, at) => {
    const now = current.get(change.manifest.digest);
    const state = change.state ?? now?.state;
    if (!state) {
      throw registryError('BAD_REQUEST', 'quarantineDetails needs a quarantineState: the manifest has no verdict yet', { field: 'quarantineState' });
    }
    if (now) out[at] = { record: now, before: now.state };
    if (now && now.state === state && (change.details === undefined || change.details === now.details)) return;
    writes.push({ at, change, state });
  });
  if (writes.length === 0) return out;
  const stored = await tx.verdicts.setMany(
    repository,
    writes.map(({ change, state }) => ({ digest: change.manifest.digest, state, ...(change.details !== undefined ? { details: change.details } : {}), updatedBy: change.request.actor || 'anonymous' })),
  );
  await tx.audit.appendMany(
    writes.map(({ change }, i) => {
      const { record, previous } = stored[i]!;
      return {
        actor: change.request.actor || 'anonymous',
        action: 'verdict.change',
        target: `${repository}@${change.manifest.digest}`,
        before: previous ? { quarantineState: previous.state, quarantineDetails: previous.details ?? null } : null,
        after: { quarantineState: record.state, quarantineDetails: record.details ?? null, ...(change.decision ? { decision: change.decision } : {}) },
        ...(change.note !== undefined ? { details: change.note } : {}),
        requestId: change.request.id,
      };
    }),
  );
  const released: ManifestReleased[] = [];
  for (const [i, { at, change }] of writes.entries()) {
    const { record, previous } = stored[i]!;
    const { manifest, request } = change;
    out[at] = { record, ...(previous ? { before: previous.state } : {}) };
    if (record.state !== previous?.state) {
      await lifecycle.verdictChanged(tx, { repository, digest: manifest.digest, state: record.state, ...(previous ? { previousState: previous.state } : {}), request });
    }
    if (record.state === 'Passed' && previous?.state !== 'Passed') released.push({ repository, digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.size, request });
  }
  if (released.length > 0) await lifecycle.released(tx, released);
  return out;
}
