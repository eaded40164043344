/**
 * A database bundle is an OCI artifact (image manifest with `artifactType`, OCI 1.1): the empty
 * config and ONE layer holding the built SQLite file. The SQLite file rather than the feed
 * files: it is already de-duplicated and indexed, a pull is a download and a rename, and the
 * scanner that pulls needs neither the feeds' formats nor the time to import them.
 */
export const BUNDLE_ARTIFACT_TYPE = 'application/vnd.lazaret.vulndb.v1';
export const BUNDLE_LAYER_MEDIA_TYPE = 'application/vnd.lazaret.vulndb.v1+sqlite';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
/** The OCI empty descriptor's content (`{}`) and digest. */
export const EMPTY_CONFIG = Buffer.from('{}');
export const EMPTY_CONFIG_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

export const ANNOTATIONS = {
  created: 'org.opencontainers.image.created',
  title: 'org.opencontainers.image.title',
  builtAt: 'dev.lazaret.vulndb.built-at',
  sources: 'dev.lazaret.vulndb.sources',
  schema: 'dev.lazaret.vulndb.schema',
  advisories: 'dev.lazaret.vulndb.advisories',
} as const;
