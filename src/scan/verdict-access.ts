/**
 * The principal the scan orchestrator records a verdict as: `scanner:<name>` (or
 * `scanner:index` for an index judged by its children), holding quarantine write on the job's
 * repository and nothing else. Its verdicts go through the registry service like an
 * AcrQuarantineWriter's PATCH (one verdict path: access check, audit, lifecycle).
 */
import type { AccessContext } from '../access/actions.ts';

export function scanVerdictAccess(actor: string, repository: string): AccessContext {
  return {
    principal: { kind: 'token', id: actor, name: actor },
    can: (r, action) => r === repository && action === 'quarantine_write',
    canRegistry: () => false,
    canEveryUnder: () => false,
  };
}
