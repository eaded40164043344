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
 * Writes that must not race (push-time verdicts, the hold query for events) never use the
 * cache: they read the setting inside their own transaction (`readPolicy(tx.settings)`).
 */
import type { CoreRoles, SettingsStore } from '../metadata/metadata-store.ts';

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
  /** Whether the policy is enabled, at most `ttlMs` old (fresh after a local change). */
  enabled(): Promise<boolean>;
  /** Drops the cached copy (called after a local change). */
  invalidate(): void;
}

export interface PolicyCacheOptions {
  settings: SettingsStore;
  ttlMs?: number;
  now?: () => number;
}

export const POLICY_CACHE_TTL_MS = 1000;

export function createPolicyCache(options: PolicyCacheOptions): PolicyCache {
  const ttl = options.ttlMs ?? POLICY_CACHE_TTL_MS;
  const now = options.now ?? Date.now;
  let cached: { enabled: boolean; at: number } | undefined;
  let loading: Promise<boolean> | undefined;
  let generation = 0;

  const load = () => {
    const gen = generation;
    const p = readPolicy(options.settings).then(
      (policy) => {
        const enabled = policy.status === 'enabled';
        // A change invalidated the cache while we were reading: do not store a stale value.
        if (gen === generation) cached = { enabled, at: now() };
        if (loading === p) loading = undefined;
        return enabled;
      },
      (err) => {
        if (loading === p) loading = undefined;
        throw err;
      },
    );
    loading = p;
    return p;
  };

  return {
    async enabled() {
      if (cached && now() - cached.at < ttl) return cached.enabled;
      return loading ?? load();
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
