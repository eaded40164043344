/**
 * The MetadataStore implemented once on Kysely, for SQLite and PostgreSQL alike.
 *
 * `createRoles(db)` is THE list of role objects: a module adding a role object (identities,
 * verdicts, outbox...) adds its field to StoreRoles (metadata-store.ts) and one line here. The
 * same function builds the top-level roles and, per transaction, roles bound to it, so every
 * role object works inside `transaction(fn)` without further wiring.
 */
import type { Kysely } from 'kysely';
import type { MetadataStore, StoreRoles } from './metadata-store.ts';
import type { Database } from './tables/index.ts';
import type { Dialect } from './db.ts';
import { createRepositoryStore } from './sql/repositories.ts';
import { createBlobLinkStore } from './sql/blob-links.ts';
import { createManifestStore } from './sql/manifests.ts';
import { createTagStore } from './sql/tags.ts';
import { createUploadStore } from './sql/uploads.ts';
import { createSettingsStore } from './sql/settings.ts';
import { createAuditStore } from './sql/audit.ts';
import { createWebhookStore } from './sql/webhooks.ts';
import { createOutboxStore } from './sql/outbox.ts';
import { createHeldPushStore } from './sql/held-pushes.ts';
import { createVerdictStore } from './sql/verdicts.ts';
import { createRoleAssignmentStore, createUserStore } from './sql/users.ts';
import { createRegistryTokenStore } from './sql/registry-tokens.ts';
import { createScopeMapStore, createSigningKeyStore, createTrustedIssuerStore } from './sql/identity-config.ts';

export function createRoles(db: Kysely<Database>): StoreRoles {
  return {
    repositories: createRepositoryStore(db),
    blobs: createBlobLinkStore(db),
    manifests: createManifestStore(db),
    tags: createTagStore(db),
    uploads: createUploadStore(db),
    settings: createSettingsStore(db),
    audit: createAuditStore(db),
    webhooks: createWebhookStore(db),
    outbox: createOutboxStore(db),
    heldPushes: createHeldPushStore(db),
    verdicts: createVerdictStore(db),
    users: createUserStore(db),
    roleAssignments: createRoleAssignmentStore(db),
    registryTokens: createRegistryTokenStore(db),
    scopeMaps: createScopeMapStore(db),
    trustedIssuers: createTrustedIssuerStore(db),
    signingKeys: createSigningKeyStore(db),
  };
}

export function createSqlStore(db: Kysely<Database>, dialect: Dialect): MetadataStore {
  let closed = false;
  return {
    ...createRoles(db),
    dialect,
    transaction(fn) {
      if (db.isTransaction) throw new Error('nested MetadataStore transactions are not supported');
      return db.transaction().execute((tx) => fn(createRoles(tx)));
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
