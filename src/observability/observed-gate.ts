/**
 * A Gate decorator that counts the gate's read decisions (lazaret_gate_decisions_total) and,
 * when tracing is on, puts each check in a span. A refusal is any RegistryError the check
 * throws (the gate throws nothing else on purpose); other errors (a database failure) are not
 * decisions and are not counted. Labels never carry a repository or a digest.
 */
import type { Gate } from '../quarantine/gate.ts';
import { RegistryError } from '../errors/index.ts';
import type { GateDecision, GateTarget } from './metrics.ts';
import type { Around } from './around.ts';

export function observeGate(gate: Gate, count: ((target: GateTarget, decision: GateDecision) => void) | undefined, around: Around | undefined): Gate {
  const run = around ?? ((_op, fn) => fn());
  const decide = async (target: GateTarget, refused: GateDecision, fn: () => Promise<void>) => {
    try {
      await fn();
      count?.(target, 'allowed');
    } catch (err) {
      if (err instanceof RegistryError) count?.(target, refused);
      throw err;
    }
  };
  return {
    ...gate,
    checkManifestRead: (access, manifest, via, method) =>
      run('gate.manifest_read', () => decide('manifest', via === 'tag' ? 'held_by_tag' : 'held_by_digest', () => gate.checkManifestRead(access, manifest, via, method))),
    checkBlobRead: (access, repository, digest, method) =>
      run('gate.blob_read', () => decide('blob', 'refused_blob', () => gate.checkBlobRead(access, repository, digest, method))),
    canMount: (access, repository, digest) => run('gate.mount', () => gate.canMount(access, repository, digest)),
    visibleTags: (access, repository, tags) => run('gate.visible_tags', () => gate.visibleTags(access, repository, tags)),
    visibleManifests: (access, repository, manifests) => run('gate.visible_manifests', () => gate.visibleManifests(access, repository, manifests)),
    visibleRepositories: (access, names) => run('gate.visible_repositories', () => gate.visibleRepositories(access, names)),
  };
}
