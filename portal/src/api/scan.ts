/**
 * A registry-wide view built from /acr/v1 alone: every repository the identity may list and
 * every manifest in it the registry shows to this identity (held ones only to quarantine
 * readers). Used by the overview and as the queue for identities without the management
 * queue endpoint. Bounded, so a large registry cannot stall a page: the result says when it
 * stopped early.
 */
import { allManifests, allRepositories, verdictOf, type ManifestAttributes } from './acr.ts';

export interface ScannedManifest extends ManifestAttributes {
  repository: string;
  state: string;
}

export interface RegistryScan {
  repositories: string[];
  manifests: ScannedManifest[];
  truncated: boolean;
  /** Repositories whose manifests could not be listed (for example: no metadata_read). */
  unreadable: number;
}

export async function scanRegistry(options: { maxRepositories?: number; concurrency?: number } = {}): Promise<RegistryScan> {
  const max = options.maxRepositories ?? 300;
  const { names, truncated } = await allRepositories(max);
  const manifests: ScannedManifest[] = [];
  let unreadable = 0;
  const queue = names.slice(0, max);
  const workers = Array.from({ length: Math.min(options.concurrency ?? 6, queue.length) }, async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      try {
        for (const m of await allManifests(name, 500)) manifests.push({ ...m, repository: name, state: verdictOf(m) });
      } catch {
        unreadable += 1;
      }
    }
  });
  await Promise.all(workers);
  return { repositories: names, manifests, truncated: truncated || names.length > max, unreadable };
}

/**
 * Waiting for a verdict: Quarantined, or (policy on) no verdict at all. With the policy off
 * nothing is gated (docs/quarantine.md "The gate" 1), but a Quarantined verdict still waits.
 */
export function isWaiting(state: string, policyOn: boolean): boolean {
  return state === 'Quarantined' || (policyOn && state === 'none');
}
