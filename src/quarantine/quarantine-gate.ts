/**
 * The policy-aware gate (contract: gate.ts; rules: docs/quarantine.md "The gate", as implemented in
 * docs/quarantine.md). One function per read path; each one answers in this order:
 *
 * 1. repository not gated                 -> allowed (cached: the switch and the release policies' patterns, no query)
 * 2. quarantine_read or quarantine_write  -> allowed (no query)
 * 3. HEAD by a principal with push        -> allowed (so pushing never breaks; no bytes leave)
 * 4. released (verdict Passed)            -> allowed
 * 5. otherwise refused: manifests by tag look absent (404 MANIFEST_UNKNOWN), by digest and
 *    blobs answer 403 IMAGE_QUARANTINED; lists leave the item out.
 *
 * Every refusal carries `Warning: 299 - "..."` naming the verdict (absent, Quarantined or
 * Failed), so a person can tell "held" from "missing".
 *
 * Each manifest is judged on its own verdict: an index's verdict does not release its child
 * manifests, and a blob is released only when a released manifest of the same repository
 * references it directly (config or layer). A multi-arch image therefore needs every child
 * passed, which the scanner sees anyway because each child push raises its own `quarantine`
 * event. A blob no manifest of the repository references is refused while the policy is on.
 */
import type { Digest } from '../oci/index.ts';
import type { ManifestStore } from '../metadata/metadata-store.ts';
import { registryError, type RegistryError } from '../errors/index.ts';
import { canReadHeld, type Gate } from './gate.ts';
import type { PolicyCache } from './policy.ts';
import type { QuarantineState, VerdictStore } from './verdicts.ts';

export interface QuarantineGateOptions {
  policy: PolicyCache;
  /** Read-only role objects outside any transaction (services.store). */
  store: { verdicts: VerdictStore; manifests: Pick<ManifestStore, 'referencingBlob'> };
}


const describe = (state: QuarantineState | undefined) =>
  state === undefined ? 'it has no verdict yet (never scanned)' : `its quarantineState is ${state}`;

/** The Warning header of a refusal. Only ASCII, no double quotes inside the quoted text. */
export function holdWarning(subject: string, state: QuarantineState | undefined): Record<string, string> {
  return { Warning: `299 - "${subject} is held by the quarantine policy: ${describe(state)}"` };
}

function manifestRefusal(via: 'tag' | 'digest', state: QuarantineState | undefined): RegistryError {
  const headers = holdWarning('the image', state);
  return via === 'tag'
    ? registryError('MANIFEST_UNKNOWN', undefined, undefined, headers)
    : registryError('IMAGE_QUARANTINED', undefined, undefined, headers);
}

export function createQuarantineGate(options: QuarantineGateOptions): Gate {
  const { policy, store } = options;

  async function blobHeldState(repository: string, digest: Digest): Promise<{ released: boolean; referenced: boolean; state?: QuarantineState }> {
    const referencing = await store.manifests.referencingBlob(repository, digest);
    if (referencing.length === 0) return { released: false, referenced: false };
    const verdicts = await store.verdicts.getMany(repository, referencing);
    let state: QuarantineState | undefined;
    for (const d of referencing) {
      const v = verdicts.get(d);
      if (v?.state === 'Passed') return { released: true, referenced: true };
      // Name the "most final" verdict among the holders: Failed says more than Quarantined.
      if (v && (state === undefined || v.state === 'Failed')) state = v.state;
    }
    return { released: false, referenced: true, state };
  }

  async function releasedSet(repository: string, digests: Digest[]): Promise<Set<Digest>> {
    const unique = [...new Set(digests)];
    if (unique.length === 0) return new Set();
    const verdicts = await store.verdicts.getMany(repository, unique);
    return new Set(unique.filter((d) => verdicts.get(d)?.state === 'Passed'));
  }

  return {
    async checkManifestRead(access, manifest, via, method) {
      if (!(await policy.gates(manifest.repository))) return;
      if (canReadHeld(access, manifest.repository)) return;
      if (method === 'HEAD' && access.can(manifest.repository, 'push')) return;
      const verdict = await store.verdicts.get(manifest.repository, manifest.digest);
      if (verdict?.state === 'Passed') return;
      throw manifestRefusal(via, verdict?.state);
    },

    async checkBlobRead(access, repository, digest, method) {
      if (!(await policy.gates(repository))) return;
      if (canReadHeld(access, repository)) return;
      if (method === 'HEAD' && access.can(repository, 'push')) return;
      if (await store.verdicts.blobReleased(repository, digest)) return;
      // Refused: only now find out which verdicts hold it, for the Warning header.
      const held = await blobHeldState(repository, digest);
      if (held.released) return; // released between the two reads
      const headers = !held.referenced
        ? { Warning: '299 - "the blob is held by the quarantine policy: no released manifest references it"' }
        : holdWarning('the blob', held.state);
      throw registryError('IMAGE_QUARANTINED', undefined, undefined, headers);
    },

    async canMount(access, repository, digest) {
      const reader = canReadHeld(access, repository);
      if (!reader && !access.can(repository, 'pull')) return false;
      if (reader || !(await policy.gates(repository))) return true;
      return store.verdicts.blobReleased(repository, digest);
    },

    async visibleTags(access, repository, tags) {
      if (tags.length === 0 || canReadHeld(access, repository) || !(await policy.gates(repository))) return tags;
      const released = await releasedSet(repository, tags.map((t) => t.digest));
      return tags.filter((t) => released.has(t.digest));
    },

    async visibleManifests(access, repository, manifests) {
      if (manifests.length === 0 || canReadHeld(access, repository) || !(await policy.gates(repository))) return manifests;
      const released = await releasedSet(repository, manifests.map((m) => m.digest));
      return manifests.filter((m) => released.has(m.digest));
    },

    readsHeld: canReadHeld,

    async hidesHeld(access, repository) {
      return !canReadHeld(access, repository) && (await policy.gates(repository));
    },

    gates: (repository) => policy.gates(repository),

    async visibleRepositories(access, names) {
      if (names.length === 0 || !(await policy.enabled())) return names;
      const unsure: string[] = [];
      const gates = await policy.gating();
      for (const n of names) if (!canReadHeld(access, n) && gates(n)) unsure.push(n);
      if (unsure.length === 0) return names;
      const withReleased = await store.verdicts.repositoriesWithReleased(unsure);
      const hidden = new Set(unsure.filter((n) => !withReleased.has(n)));
      return names.filter((n) => !hidden.has(n));
    },
  };
}
