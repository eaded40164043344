/**
 * A Gate decorator that counts the gate's read decisions (lazaret_gate_decisions_total) and,
 * when tracing is on, puts each check in a span. A refusal is any RegistryError the check
 * throws (the gate throws nothing else on purpose); other errors (a database failure) are not
 * decisions and are not counted. Labels never carry a repository or a digest.
 *
 * Each layer is added only when it is on: with metrics on and tracing off (the common case) a
 * read check is one async function around the gate's, and the other methods are the gate's own.
 */
import type { Gate } from '../quarantine/gate.ts';
import { RegistryError } from '../errors/index.ts';
import type { GateDecision, GateTarget } from './metrics.ts';
import type { Around } from './around.ts';

type Count = (target: GateTarget, decision: GateDecision) => void;

export function observeGate(gate: Gate, count: Count | undefined, around: Around | undefined): Gate {
  const counted = count ? countingGate(gate, count) : gate;
  return around ? tracedGate(counted, around) : counted;
}

function countingGate(gate: Gate, count: Count): Gate {
  return {
    ...gate,
    async checkManifestRead(access, manifest, via, method) {
      try {
        await gate.checkManifestRead(access, manifest, via, method);
      } catch (err) {
        if (err instanceof RegistryError) count('manifest', via === 'tag' ? 'held_by_tag' : 'held_by_digest');
        throw err;
      }
      count('manifest', 'allowed');
    },
    async checkBlobRead(access, repository, digest, method) {
      try {
        await gate.checkBlobRead(access, repository, digest, method);
      } catch (err) {
        if (err instanceof RegistryError) count('blob', 'refused_blob');
        throw err;
      }
      count('blob', 'allowed');
    },
  };
}

function tracedGate(gate: Gate, around: Around): Gate {
  return {
    ...gate,
    checkManifestRead: (access, manifest, via, method) => around('gate.manifest_read', () => gate.checkManifestRead(access, manifest, via, method)),
    checkBlobRead: (access, repository, digest, method) => around('gate.blob_read', () => gate.checkBlobRead(access, repository, digest, method)),
    canMount: (access, repository, digest) => around('gate.mount', () => gate.canMount(access, repository, digest)),
    visibleTags: (access, repository, tags) => around('gate.visible_tags', () => gate.visibleTags(access, repository, tags)),
    visibleManifests: (access, repository, manifests) => around('gate.visible_manifests', () => gate.visibleManifests(access, repository, manifests)),
    visibleRepositories: (access, names) => around('gate.visible_repositories', () => gate.visibleRepositories(access, names)),
  };
}
