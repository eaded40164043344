/**
 * TypeBox schemas of /acr/v1's answers, after ACR's public API reference section 3 and real ACR
 * traffic (shapes.ts builds them from store records). Schema-only (imports nothing but
 * typebox): the route table declares them as responses, and the portal and the CLI take their
 * types from them (docs/architecture.md "Wire types"). Properties are in the order ACR writes
 * them, which is the order Fastify serialises them in.
 */
import { Type } from 'typebox';

export const QuarantineState = Type.Union([Type.Literal('Quarantined'), Type.Literal('Passed'), Type.Literal('Failed')]);

/** What a client may change; a manifest's also carries its verdict (absent when it has none). */
export const ChangeableAttributes = Type.Object({
  deleteEnabled: Type.Boolean(),
  writeEnabled: Type.Boolean(),
  readEnabled: Type.Boolean(),
  listEnabled: Type.Boolean(),
});

export const ManifestChangeableAttributes = Type.Object({
  ...ChangeableAttributes.properties,
  quarantineState: Type.Optional(QuarantineState),
  quarantineDetails: Type.Optional(Type.String({ description: 'the JSON text the verdict was given with, as sent' })),
});

/** GET/PATCH /acr/v1/{name} (ACR's RepositoryProperties). */
export const RepositoryAttributes = Type.Object({
  registry: Type.String({ description: 'the login server name' }),
  imageName: Type.String(),
  createdTime: Type.String({ description: 'ISO-8601 UTC with 7 fractional digits, as ACR' }),
  lastUpdateTime: Type.String(),
  manifestCount: Type.Integer(),
  tagCount: Type.Integer(),
  changeableAttributes: ChangeableAttributes,
});

export const TagAttributes = Type.Object({
  name: Type.String(),
  digest: Type.String(),
  createdTime: Type.String(),
  lastUpdateTime: Type.String(),
  signed: Type.Boolean(),
  quarantineState: Type.Optional(QuarantineState),
  changeableAttributes: ChangeableAttributes,
});

export const ManifestReference = Type.Object({ digest: Type.String(), architecture: Type.Optional(Type.String()), os: Type.Optional(Type.String()) });

export const ManifestAttributes = Type.Object({
  digest: Type.String(),
  imageSize: Type.Integer(),
  createdTime: Type.String(),
  lastUpdateTime: Type.String(),
  architecture: Type.Optional(Type.String()),
  os: Type.Optional(Type.String()),
  references: Type.Optional(Type.Array(ManifestReference, { description: 'an index\'s children' })),
  mediaType: Type.String(),
  configMediaType: Type.Optional(Type.String()),
  tags: Type.Array(Type.String()),
  changeableAttributes: ManifestChangeableAttributes,
});

/** GET /acr/v1/_catalog: `null` (not `[]`) when there is nothing to list, as ACR answers. */
export const AcrCatalog = Type.Object({ repositories: Type.Union([Type.Array(Type.String()), Type.Null()]) });

export const AcrTagList = Type.Object({ registry: Type.String(), imageName: Type.String(), tags: Type.Array(TagAttributes) });
export const AcrTag = Type.Object({ registry: Type.String(), imageName: Type.String(), tag: TagAttributes });
export const AcrManifestList = Type.Object({ registry: Type.String(), imageName: Type.String(), manifests: Type.Array(ManifestAttributes) });
export const AcrManifest = Type.Object({ registry: Type.String(), imageName: Type.String(), manifest: ManifestAttributes });

/** DELETE /acr/v1/{name} (202, ACR's DeletedRepository): only what the caller may see. */
export const AcrDeletedRepository = Type.Object({ manifestsDeleted: Type.Array(Type.String()), tagsDeleted: Type.Array(Type.String()) });
