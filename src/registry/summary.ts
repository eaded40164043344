/**
 * Counts for the portal's overview and `GET /api/v1/summary`, computed from what the caller may
 * see, by the rules of registry.ts:
 * - `repositories`: the catalog's length for this caller (null without `catalog`);
 * - `manifests`: manifests of repositories it may read (metadata_read or pull), held ones only
 *   where it may see held metadata or the gate does not govern the repository (as /acr/v1's
 *   manifestCount counts them);
 * - `held`: verdict counts of the repositories where it may see held metadata (`configure`, or
 *   quarantine read there), null when that is none: a principal without quarantine read learns
 *   no held count, not even zero.
 * One grouped query over manifests and verdicts, then the filters per repository in memory.
 */
import type { Ctx } from './context.ts';
import type { StateFilter } from './registry.ts';
import { listRepositories } from './lists.ts';
import { seesHeldMetadata, waitsForVerdict } from './quarantine-views.ts';

export interface HeldSummary {
  /** `registry`: every repository (the caller holds configure); else only those where it has quarantine read. */
  scope: 'registry' | 'repositories';
  /** Repositories counted (with at least one manifest). */
  repositories: number;
  /** Manifests waiting for a verdict: Quarantined, or without a verdict where the gate governs. */
  waiting: number;
  byState: Record<StateFilter, number>;
}

export interface ContentSummary {
  repositories: number | null;
  manifests: number;
  held: HeldSummary | null;
}

const CATALOG_PAGE = 1000;

async function catalogLength(ctx: Ctx): Promise<number | null> {
  if (!ctx.access.canRegistry('catalog')) return null;
  let count = 0;
  let last: string | undefined;
  for (;;) {
    const page = await listRepositories(ctx, { n: CATALOG_PAGE, ...(last !== undefined ? { last } : {}) });
    count += page.items.length;
    if (!page.more || page.items.length === 0) return count;
    last = page.items.at(-1);
  }
}

export async function summary(ctx: Ctx): Promise<ContentSummary> {
  const { access, gate } = ctx;
  const perRepository = new Map<string, Record<StateFilter, number>>();
  for (const r of await ctx.store.verdicts.countsByRepository()) {
    let counts = perRepository.get(r.repository);
    if (!counts) perRepository.set(r.repository, (counts = { absent: 0, Quarantined: 0, Passed: 0, Failed: 0 }));
    counts[r.state] += r.count;
  }
  const configure = access.canRegistry('configure');
  const byState: Record<StateFilter, number> = { absent: 0, Quarantined: 0, Passed: 0, Failed: 0 };
  let manifests = 0;
  let heldRepositories = 0;
  let waiting = 0;
  for (const [repository, counts] of perRepository) {
    const all = counts.absent + counts.Quarantined + counts.Passed + counts.Failed;
    const gated = await gate.gates(repository);
    if (seesHeldMetadata(ctx, repository)) {
      manifests += all;
      heldRepositories += 1;
      for (const s of Object.keys(byState) as StateFilter[]) {
        byState[s] += counts[s];
        if (waitsForVerdict(s, gated)) waiting += counts[s];
      }
    } else if (access.can(repository, 'metadata_read') || access.can(repository, 'pull')) {
      manifests += gated ? counts.Passed : all;
    }
  }
  const held = configure || heldRepositories > 0 ? { scope: configure ? ('registry' as const) : ('repositories' as const), repositories: heldRepositories, waiting, byState } : null;
  return { repositories: await catalogLength(ctx), manifests, held };
}
