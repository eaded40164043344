/**
 * `scanner db push REF`: a consistent, compacted copy of the database (SQLite `VACUUM INTO`,
 * so an import swapping the file meanwhile does not matter) is pushed as the bundle's layer,
 * then the artifact manifest under the tag.
 */
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { databaseFile } from '../paths.ts';
import { readMeta, SCHEMA_VERSION } from '../schema.ts';
import { RegistryClient, type Credentials } from './registry-client.ts';
import { ANNOTATIONS, BUNDLE_ARTIFACT_TYPE, BUNDLE_LAYER_MEDIA_TYPE, EMPTY_CONFIG, EMPTY_CONFIG_DIGEST, OCI_EMPTY, OCI_MANIFEST } from './media-types.ts';
import type { BundleReference } from './reference.ts';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

export interface PushResult {
  digest?: string;
  layerDigest: string;
  size: number;
  sources: string[];
  builtAt?: string;
}

export async function pushBundle(options: { dir: string; ref: BundleReference; credentials?: Credentials }): Promise<PushResult> {
  const file = databaseFile(options.dir);
  if (!existsSync(file)) throw new Error(`no vulnerability database in ${options.dir}: run \`lazaret scanner db import\` first`);
  const work = mkdtempSync(join(tmpdir(), 'lazaret-vulndb-push-'));
  try {
    const snapshot = join(work, 'vulndb.sqlite');
    const db = new Database(file, { readonly: true, fileMustExist: true });
    let meta;
    let sources: string[];
    let advisories: number;
    try {
      meta = readMeta(db);
      if (meta.schemaVersion !== SCHEMA_VERSION) throw new Error(`${file}: schema ${meta.schemaVersion}, expected ${SCHEMA_VERSION}`);
      sources = (db.prepare('SELECT name FROM sources ORDER BY name').all() as { name: string }[]).map((r) => r.name);
      advisories = (db.prepare('SELECT COUNT(*) AS n FROM advisories').get() as { n: number }).n;
      db.prepare('VACUUM INTO ?').run(snapshot);
    } finally {
      db.close();
    }
    const layerDigest = await sha256File(snapshot);
    const size = statSync(snapshot).size;
    const client = new RegistryClient(options.ref.registry, options.ref.repository, options.credentials, 'pull,push');
    await client.pushBlob(EMPTY_CONFIG_DIGEST, { data: EMPTY_CONFIG });
    await client.pushBlob(layerDigest, { file: snapshot });
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE_ARTIFACT_TYPE,
      config: { mediaType: OCI_EMPTY, digest: EMPTY_CONFIG_DIGEST, size: EMPTY_CONFIG.length },
      layers: [{ mediaType: BUNDLE_LAYER_MEDIA_TYPE, digest: layerDigest, size, annotations: { [ANNOTATIONS.title]: 'vulndb.sqlite' } }],
      annotations: {
        [ANNOTATIONS.created]: new Date().toISOString(),
        ...(meta.builtAt ? { [ANNOTATIONS.builtAt]: meta.builtAt } : {}),
        [ANNOTATIONS.sources]: sources.join(','),
        [ANNOTATIONS.advisories]: String(advisories),
        [ANNOTATIONS.schema]: String(SCHEMA_VERSION),
      },
    };
    const digest = await client.putManifest(options.ref.reference, OCI_MANIFEST, Buffer.from(JSON.stringify(manifest)));
    return { digest, layerDigest, size, sources, builtAt: meta.builtAt };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
