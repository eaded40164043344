/**
 * TypeBox schemas of the JSON bodies /v2 writes itself (OCI Distribution Spec 1.1): the tags
 * list, the catalog and the referrers index, and the descriptor they share. Manifests and blobs
 * are served as pushed, byte for byte, so they have no schema of ours. Schema-only (imports
 * nothing but typebox): the catalog route declares its schema as its response; the tags list
 * and the referrers index are serialised by their handlers, typed against these (`satisfies`);
 * the portal takes its types from them (docs/architecture.md "Wire types").
 */
import { Type } from 'typebox';

/** An OCI content descriptor (image spec, descriptor.md). */
export const OciDescriptor = Type.Object({
  mediaType: Type.String(),
  digest: Type.String(),
  size: Type.Integer(),
  artifactType: Type.Optional(Type.String()),
  annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  platform: Type.Optional(Type.Object({ architecture: Type.Optional(Type.String()), os: Type.Optional(Type.String()), variant: Type.Optional(Type.String()) })),
});

/** GET /v2/{name}/tags/list: one page of tag names in lexical order. */
export const V2TagList = Type.Object({ name: Type.String(), tags: Type.Array(Type.String()) });

/** GET /v2/_catalog (Docker Registry extension): one page of repository names. */
export const V2Catalog = Type.Object({ repositories: Type.Array(Type.String()) });

/** GET /v2/{name}/referrers/{digest}: an image index of the referrers the caller may see. */
export const V2ReferrersIndex = Type.Object({
  schemaVersion: Type.Literal(2),
  mediaType: Type.Literal('application/vnd.oci.image.index.v1+json'),
  manifests: Type.Array(OciDescriptor),
});
