/**
 * Quarantine's manifest lifecycle listener and the hold query events use. Both read the policy
 * INSIDE the push's transaction (never the cache), so a push that commits after the policy was
 * enabled is always held, whichever process served it.
 *
 * Push-time rules (docs/quarantine.md "The gate" 2-3):
 * - policy enabled, no verdict for (repository, digest): record `Quarantined` (audited, actor
 *   the pusher, details saying the policy assigned it);
 * - a verdict exists (any state): keep it; verdicts are sticky across re-pushes, new tags and
 *   delete + re-push;
 * - policy disabled: record nothing. Such a manifest is held later if the policy is enabled
 *   before it gets a verdict (absent = held).
 * Deletes keep verdicts (see verdicts.ts).
 */
import type { HoldQuery, ManifestLifecycle } from '../events/index.ts';
import type { CoreRoles } from '../metadata/metadata-store.ts';
import type { QuarantineRoles } from './store/index.ts';
import { gatedIn } from './policy.ts';

type QuarantineTx = CoreRoles & QuarantineRoles;

/** Is (repository, digest) held right now? Policy enabled and verdict not Passed. For events (C). */
export const isHeld: HoldQuery<QuarantineTx> = async (tx, repository, digest) => {
  if (!(await gatedIn(tx, repository))) return false;
  return (await tx.verdicts.get(repository, digest))?.state !== 'Passed';
};

export const PUSH_ASSIGNED_DETAILS = 'assigned at push: the quarantine policy is enabled and the manifest had no verdict';

export function createQuarantineLifecycle(): ManifestLifecycle<QuarantineTx> {
  return {
    async pushed(tx, e) {
      if (!(await gatedIn(tx, e.repository))) return;
      if (await tx.verdicts.get(e.repository, e.digest)) return;
      const { record } = await tx.verdicts.set({ repository: e.repository, digest: e.digest, state: 'Quarantined', updatedBy: 'system' });
      await tx.audit.append({
        actor: e.request.actor || 'system',
        action: 'verdict.change',
        target: `${e.repository}@${e.digest}`,
        before: null,
        after: { quarantineState: record.state },
        details: PUSH_ASSIGNED_DETAILS,
        requestId: e.request.id,
      });
    },
    deleted: async () => {},
    repositoryDeleted: async () => {},
    released: async () => {},
    rescanRequested: async () => {},
    verdictChanged: async () => {},
  };
}
