/**
 * The release policy's manifest lifecycle listener: a manifest pushed with a `subject` (an OCI
 * 1.1 signature, attestation or SBOM) or under cosign's `sha256-<hex>.sig` or `.att` tag
 * re-evaluates its subject once the push committed (pushing a signature or an attestation is how
 * an image becomes signed or attested).
 */
import type { ManifestLifecycle } from '../events/index.ts';
import type { CoreRoles } from '../metadata/metadata-store.ts';

const SIG_TAG = /^sha256-[0-9a-f]{64}\.(sig|att)$/;

export function createReleasePolicyLifecycle(subjectChanged: (repository: string, digest: string) => void): ManifestLifecycle<CoreRoles> {
  return {
    async pushed(tx, e) {
      if ((e.tag && SIG_TAG.test(e.tag)) || (await tx.manifests.getHead(e.repository, e.digest))?.subject) subjectChanged(e.repository, e.digest);
    },
    deleted: async () => {},
    repositoryDeleted: async () => {},
    released: async () => {},
    rescanRequested: async () => {},
    verdictChanged: async () => {},
  };
}
