/**
 * The quarantine policy: `quarantinePolicy.status`, registry-wide, kept in the settings store
 * under the key `quarantinePolicy` as `{ "status": "enabled" | "disabled" }` (ACR's
 * `properties.policies.quarantinePolicy`). Absent means disabled, as in ACR.
 *
 * Reads on the hot path (every manifest and blob GET asks the gate) go through a PolicyCache:
 * - in this process a change made through `changePolicy` invalidates the cache at once, so the
 *   next request sees it;
 * - another process sharing the database sees a change within `ttlMs` (default 1 s): the cache
 *   re-reads the settings row when its copy is older than that. One primary-key read per
 *   process per second is the whole cost of a disabled policy.
 * - with several processes on one database (PostgreSQL nodes, `serve --workers`), a change is
 *   also announced (a notification invalidates the others' caches within milliseconds), and
 *   that alone would leave those milliseconds open: a client told "enabled" by one node could
 *   pull held content from another. So a change also writes a new generation (a settings row,
 *   before the change's answer is sent), and while a cached copy would let content through (the
 *   switch is off), `crossProcess` caches read the generation first and reload when it moved:
 *   one primary-key read per gate decision, only while the switch is off. A cached "on" that is
 *   stale only holds more than it must, which is the safe side, so it is not re-checked.
 * Writes that must not race (push-time verdicts, the hold query for events) never use the
 * cache: they read the setting inside their own transaction (`gatedIn(tx, repository)`).
 *
 * Which repositories are gated (docs/release-policy.md): a repository is gated when an enabled
 * release policy governs it (src/release-policy/patterns.ts), or else when the registry-wide
 * switch is on: the switch is the default policy for `**`. The cache holds both the switch and
 * the release policies' patterns, with the same ttl and invalidation.
 */
import { randomUUID } from 'node:crypto';
import type { CoreRoles, SettingsStore } from '../metadata/metadata-store.ts';
import type { ReleasePolicyStore } from '../release-policy/policy-store.ts';
import { governingPolicy, type Bound } from '../release-policy/patterns.ts';

export const POLICY_KEY = 'quarantinePolicy';
export type PolicyStatus = 'enabled' | 'disabled';

export interface QuarantinePolicy {
  status: PolicyStatus;
}

export async function readPolicy(settings: SettingsStore): Promise<QuarantinePolicy> {
  const v = await settings.get<{ status?: unknown }>(POLICY_KEY);
  return { status: v?.status === 'enabled' ? 'enabled' : 'disabled' };
}

export interface PolicyCache {
  /** Whether anything is gated (the switch, or any enabled release policy), at most `ttlMs` old (fresh after a local change). */
  enabled(): Promise<boolean>;
  /** Whether `repository` is gated. Without release policies: the switch. */
  gates(repository: string): Promise<boolean>;
  /**
   * `gates` for many names at once: a synchronous test over one copy of the policy (a catalog
   * page asks about 1,000 repositories; one await per name was most of the gate's cost there).
   */
  gating(): Promise<(repository: string) => boolean>;
  /** Drops the cached copy (called after a local change, and when another node announces one). */
  invalidate(): void;
}

/** The settings row every policy change rewrites, so that other processes can tell their copy is old. */
export const POLICY_GENERATION_KEY = 'gatePolicyGeneration';

/** Records that the gating policy changed (after the change committed, before it is answered). */
export async function bumpPolicyGeneration(settings: SettingsStore): Promise<void> {
  await settings.set(POLICY_GENERATION_KEY, randomUUID());
}

export interface PolicyCacheOptions {
  settings: SettingsStore;
  /** The release policies (absent: the switch alone decides, as before release policies). */
  releasePolicies?: Pick<ReleasePolicyStore, 'list'>;
  ttlMs?: number;
  now?: () => number;
  /** Other processes may change the policy (PostgreSQL, workers): check the generation before letting content through. */
  crossProcess?: boolean;
}

type ReleaseSource = { releasePolicies?: Pick<ReleasePolicyStore, 'list'> };

async function boundsOf(source: ReleaseSource): Promise<Bound[]> {
  if (!source.releasePolicies) return [];
  return (await source.releasePolicies.list()).filter((p) => p.document.enabled).map((p) => ({ name: p.name, repositories: p.document.repositories, enabled: true }));
}

/**
 * Whether `repository` is gated, read inside `tx` (push-time verdicts, the hold query, the
 * scan's verdict): an enabled release policy governs it, or the registry-wide switch is on.
 */
export async function gatedIn(tx: Pick<CoreRoles, 'settings'> & ReleaseSource, repository: string): Promise<boolean> {
  if (governingPolicy(await boundsOf(tx), repository)) return true;
  return (await readPolicy(tx.settings)).status === 'enabled';
}

interface Cached {
  generation: string | undefined;
  switchOn: boolean;
  bounds: Bound[];
  perRepository: Map<string, boolean>;
  at: number;
}

export const POLICY_CACHE_TTL_MS = 1000;

/** Whether `repository` is gated under the policy copy `c` (remembered per repository in it). */
function gatedUnder(c: Cached, repository: string): boolean {
  if (c.bounds.length === 0) return c.switchOn;
  let gated = c.perRepository.get(repository);
  if (gated === undefined) {
    gated = c.switchOn || governingPolicy(c.bounds, repository) !== undefined;
    if (c.perRepository.size > 100_000) c.perRepository.clear();
    c.perRepository.set(repository, gated);
  }
  return gated;
}

export function createPolicyCache(options: PolicyCacheOptions): PolicyCache {
  const ttl = options.ttlMs ?? POLICY_CACHE_TTL_MS;
  const now = options.now ?? Date.now;
  let cached: Cached | undefined;
  let loading: Promise<Cached> | undefined;
  let generation = 0;

  const load = () => {
    const gen = generation;
    // The generation first: a change that lands between the reads leaves a newer generation
    // than the one stored, so the next check reloads.
    const p = readGeneration().then((generationRead) => Promise.all([generationRead, readPolicy(options.settings), boundsOf(options)])).then(
      ([generationRead, policy, bounds]) => {
        const value: Cached = { generation: generationRead, switchOn: policy.status === 'enabled', bounds, perRepository: new Map(), at: now() };
        // A change invalidated the cache while we were reading: do not store a stale value.
        if (gen === generation) cached = value;
        if (loading === p) loading = undefined;
        return value;
      },
      (err) => {
        if (loading === p) loading = undefined;
        throw err;
      },
    );
    loading = p;
    return p;
  };
  const readGeneration = async () => (options.crossProcess ? options.settings.get<string>(POLICY_GENERATION_KEY) : undefined);
  const current = async () => {
    const c = cached && now() - cached.at < ttl ? cached : await (loading ?? load());
    if (!options.crossProcess || c.switchOn) return c;
    const latest = await readGeneration();
    if (latest === c.generation) return c;
    if (cached === c) {
      generation++;
      cached = undefined;
      loading = undefined;
    }
    return loading ?? load();
  };

  return {
    async enabled() {
      const c = await current();
      return c.switchOn || c.bounds.length > 0;
    },
    async gates(repository) {
      return gatedUnder(await current(), repository);
    },
    async gating() {
      const c = await current();
      return (repository) => gatedUnder(c, repository);
    },
    invalidate() {
      generation++;
      cached = undefined;
      loading = undefined;
    },
  };
}

/** Context of a change, for the audit log. */
export interface ChangeContext {
  actor: string;
  requestId?: string;
}

/**
 * Sets the policy in `tx` and audits it (`policy.change`, target `policy:quarantine`). Returns
 * the previous and the new policy. The caller invalidates its PolicyCache after commit.
 */
export async function changePolicy(tx: Pick<CoreRoles, 'settings' | 'audit'>, status: PolicyStatus, ctx: ChangeContext) {
  const before = await readPolicy(tx.settings);
  const after: QuarantinePolicy = { status };
  await tx.settings.set(POLICY_KEY, after);
  await bumpPolicyGeneration(tx.settings);
  await tx.audit.append({
    actor: ctx.actor,
    action: 'policy.change',
    target: 'policy:quarantine',
    before,
    after,
    requestId: ctx.requestId,
  });
  return { before, after };
}
