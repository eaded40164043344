/**
 * ACR's built-in roles, translated into Lazaret's action vocabulary (src/access/actions.ts).
 * ACR's API reference section 6 gives ACR's meaning; where ACR is vague the choice is written in
 * docs/auth.md ("Roles"). Two rules hold for every role:
 * - `pull` never includes held content: only AcrQuarantineReader / AcrQuarantineWriter carry
 *   `quarantine_read`, and Owner/Contributor do NOT (docs/quarantine.md "The gate" 6).
 * - `quarantine_exception_write` (exceptions to findings, docs/release-policy.md) is on
 *   AcrQuarantineWriter and Owner: the two who already decide what leaves quarantine.
 * - Registry actions (catalog, configure, admin, audit_read, metrics) come only from registry-wide
 *   assignments; an assignment limited to a repository pattern grants repository actions only.
 */
import type { RegistryAction, RepositoryAction } from './actions.ts';

export const BUILT_IN_ROLES = [
  'Owner',
  'Contributor',
  'Reader',
  'AcrPull',
  'AcrPush',
  'AcrDelete',
  'AcrImageSigner',
  'AcrQuarantineReader',
  'AcrQuarantineWriter',
] as const;
export type RoleName = (typeof BUILT_IN_ROLES)[number];

export interface RoleDefinition {
  /** ACR's role definition id (Azure built-in roles), for reference in listings. */
  id: string;
  description: string;
  repository: readonly RepositoryAction[];
  registry: readonly RegistryAction[];
}

const CONTENT: RepositoryAction[] = ['pull', 'push', 'delete', 'metadata_read', 'metadata_write'];

export const ROLES: Record<RoleName, RoleDefinition> = {
  Owner: {
    id: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
    description: 'everything, including identities, roles, tokens and exceptions to findings; not held content',
    repository: [...CONTENT, 'quarantine_exception_write'],
    registry: ['catalog', 'configure', 'admin', 'audit_read', 'metrics'],
  },
  Contributor: {
    id: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
    description: 'push, pull, delete, attributes, policy and webhooks; not identities, not held content',
    repository: CONTENT,
    registry: ['catalog', 'configure', 'audit_read'],
  },
  Reader: {
    id: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    description: 'pull and read metadata, the catalog and the audit log',
    repository: ['pull', 'metadata_read'],
    registry: ['catalog', 'audit_read'],
  },
  AcrPull: {
    id: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
    description: 'pull released content and list it',
    repository: ['pull', 'metadata_read'],
    registry: ['catalog'],
  },
  AcrPush: {
    id: '8311e382-0749-4cb8-b61a-304f252e45ec',
    description: 'push and pull',
    repository: ['pull', 'push', 'metadata_read'],
    registry: ['catalog'],
  },
  AcrDelete: {
    id: 'c2f4ef07-c644-48eb-af81-4b1b4947fb11',
    description: 'delete manifests, tags and repositories',
    repository: ['delete'],
    registry: [],
  },
  AcrImageSigner: {
    id: '6cef56e8-d556-48e5-a04f-b8e64114680f',
    description: 'content trust signing (not implemented by Lazaret): grants nothing by itself',
    repository: [],
    registry: [],
  },
  AcrQuarantineReader: {
    id: 'cdda3590-29a3-44f6-95f2-9f980659eb04',
    description: 'pull and list, including held (quarantined) content',
    repository: ['pull', 'metadata_read', 'quarantine_read'],
    registry: ['catalog'],
  },
  AcrQuarantineWriter: {
    id: 'c8d4ff99-41c3-41a8-9f60-21dfdad59608',
    description: 'as AcrQuarantineReader, and set verdicts (quarantineState / quarantineDetails) and exceptions to findings',
    repository: ['pull', 'metadata_read', 'quarantine_read', 'quarantine_write', 'quarantine_exception_write'],
    registry: ['catalog'],
  },
};
