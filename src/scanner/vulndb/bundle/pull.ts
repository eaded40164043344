/**
 * `scanner db pull REF`: reads the bundle's manifest (refusing anything that is not a
 * database bundle of a schema this Lazaret reads), streams the layer into a temporary file in
 * the data directory while hashing it, verifies digest and size, checks the file is an intact
 * database (`PRAGMA quick_check`), stamps it with a new local generation and the pull time,
 * and renames it into place, exactly as an import does. Any failure leaves the old database.
 */
import { createWriteStream, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import { databaseFile, tempFile } from '../paths.ts';
import { readMeta, SCHEMA_VERSION, writeMeta } from '../schema.ts';
import { acquireWriteLock } from '../lock.ts';
import { removeStaleTemps, swapIntoPlace } from '../import.ts';
import { RegistryClient, type Credentials } from './registry-client.ts';
import { ANNOTATIONS, BUNDLE_ARTIFACT_TYPE, BUNDLE_LAYER_MEDIA_TYPE, OCI_MANIFEST } from './media-types.ts';
import type { BundleReference } from './reference.ts';

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
}

export interface PullResult {
  digest?: string;
  generation: number;
  sources: string[];
  builtAt?: string;
  size: number;
}

function localGeneration(dir: string): number {
  const file = databaseFile(dir);
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return readMeta(db).generation;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

export async function pullBundle(options: { dir: string; ref: BundleReference; credentials?: Credentials; now?: () => Date }): Promise<PullResult> {
  const { ref } = options;
  const client = new RegistryClient(ref.registry, ref.repository, options.credentials, 'pull');
  const { bytes, digest } = await client.getManifest(ref.reference, [OCI_MANIFEST]);
  let manifest: { mediaType?: string; artifactType?: string; layers?: Descriptor[]; annotations?: Record<string, string> };
  try {
    manifest = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Error(`${ref.repository}:${ref.reference} is not a JSON manifest`);
  }
  if (manifest.artifactType !== BUNDLE_ARTIFACT_TYPE) {
    throw new Error(`${ref.repository}:${ref.reference} is not a vulnerability database bundle (artifactType ${JSON.stringify(manifest.artifactType ?? null)}, expected ${BUNDLE_ARTIFACT_TYPE})`);
  }
  const schema = manifest.annotations?.[ANNOTATIONS.schema];
  if (schema !== undefined && Number(schema) !== SCHEMA_VERSION) throw new Error(`the bundle has database schema ${schema}; this Lazaret reads schema ${SCHEMA_VERSION}`);
  const layer = (manifest.layers ?? []).find((l) => l.mediaType === BUNDLE_LAYER_MEDIA_TYPE);
  if (!layer || typeof layer.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(layer.digest) || typeof layer.size !== 'number') {
    throw new Error(`${ref.repository}:${ref.reference} has no ${BUNDLE_LAYER_MEDIA_TYPE} layer with a sha256 digest and size`);
  }
  const { dir } = options;
  mkdirSync(dir, { recursive: true });
  const release = acquireWriteLock(dir);
  const tmp = tempFile(dir);
  try {
    removeStaleTemps(dir);
    const hash = createHash('sha256');
    let size = 0;
    const limit = layer.size;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        // Never write more than the manifest announced: a lying registry cannot fill the disk.
        if (size > limit) return done(new Error(`the layer is larger than its descriptor's ${limit} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(await client.getBlob(layer.digest), meter, createWriteStream(tmp));
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== layer.digest || size !== layer.size) throw new Error(`the downloaded layer does not match its descriptor (got ${got}, ${size} bytes; expected ${layer.digest}, ${layer.size} bytes)`);
    const generation = localGeneration(dir) + 1;
    let sources: string[];
    let builtAt: string | undefined;
    const db = new Database(tmp, { fileMustExist: true });
    try {
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the bundle's database is damaged: ${String(check)}`);
      const meta = readMeta(db);
      if (meta.schemaVersion !== SCHEMA_VERSION) throw new Error(`the bundle has database schema ${meta.schemaVersion}; this Lazaret reads schema ${SCHEMA_VERSION}`);
      sources = (db.prepare('SELECT name FROM sources ORDER BY name').all() as { name: string }[]).map((r) => r.name);
      builtAt = meta.builtAt;
      writeMeta(db, { generation, imported_at: (options.now?.() ?? new Date()).toISOString(), pulled_from: `${ref.registry}/${ref.repository}@${digest ?? ref.reference}` });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw new Error('the bundle layer is not a SQLite database');
      throw err;
    } finally {
      db.close();
    }
    swapIntoPlace(dir, tmp);
    return { digest, generation, sources, builtAt, size };
  } catch (err) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw err;
  } finally {
    release();
  }
}
