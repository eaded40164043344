/**
 * The content every instance holds before anything is timed: a 64 MiB blob to pull and HEAD,
 * an image to GET by tag and digest, a repository with 1,000 tags and 1,000 repositories for
 * the catalog. The same bytes go into every instance.
 */
import { randomBytes } from 'node:crypto';
import { imageConfig, imageManifest, sha256, type FileBlob, type MemBlob } from './data.ts';
import { forEachConcurrent, pushScope } from './registry-client.ts';
import type { Instance } from './targets.ts';

export const REPOS = {
  blobs: 'bench/blobs',
  manifests: 'bench/manifests',
  tags: 'bench/tags',
  pushSmall: 'bench/push-small',
  pushBig: 'bench/push-big',
  pushChunked: 'bench/push-chunked',
  manifestPut: 'bench/manifest-put',
  catalogPrefix: 'cat/r',
};
export const TAG_COUNT = 1000;
export const CATALOG_REPOS = 1000;

export interface FixtureData {
  bigBlob: FileBlob;
  config: MemBlob;
  layer: MemBlob;
  /** bench/blobs:v1 -> config + the 64 MiB blob. */
  blobsManifest: MemBlob;
  /** bench/manifests:latest, bench/tags:t0000..t0999, cat/rNNNN:v1 -> config + small layer. */
  manifest: MemBlob;
}

export function makeFixtureData(bigBlob: FileBlob): FixtureData {
  const config = imageConfig('fixture');
  const layerBytes = randomBytes(4096);
  const layer = { data: layerBytes, digest: sha256(layerBytes) };
  const size = (b: MemBlob) => ({ digest: b.digest, size: b.data.length });
  return {
    bigBlob,
    config,
    layer,
    blobsManifest: imageManifest(size(config), [{ digest: bigBlob.digest, size: bigBlob.size }]),
    manifest: imageManifest(size(config), [size(layer)]),
  };
}

export const tagName = (i: number) => `t${String(i).padStart(4, '0')}`;
export const catalogRepo = (i: number) => `${REPOS.catalogPrefix}${String(i).padStart(4, '0')}`;

/** Every (repository, manifest digest) the fixture creates: what the gate variant releases. */
export function fixtureManifests(data: FixtureData): [string, string][] {
  return [
    [REPOS.blobs, data.blobsManifest.digest],
    [REPOS.manifests, data.manifest.digest],
    [REPOS.tags, data.manifest.digest],
    ...Array.from({ length: CATALOG_REPOS }, (_, i): [string, string] => [catalogRepo(i), data.manifest.digest]),
  ];
}

export async function setupFixture(instance: Instance, data: FixtureData): Promise<void> {
  const { client } = instance;
  const pool = client.pool(16);
  try {
    const h = (repo: string) => client.authHeaders([pushScope(repo)]);
    await client.pushBlob(pool, REPOS.blobs, data.bigBlob, await h(REPOS.blobs));
    await client.pushBlob(pool, REPOS.blobs, data.config, await h(REPOS.blobs));
    await client.putManifest(pool, REPOS.blobs, 'v1', data.blobsManifest, await h(REPOS.blobs));
    for (const repo of [REPOS.manifests, REPOS.tags, REPOS.manifestPut]) {
      await client.pushBlob(pool, repo, data.config, await h(repo));
      await client.pushBlob(pool, repo, data.layer, await h(repo));
    }
    await client.putManifest(pool, REPOS.manifests, 'latest', data.manifest, await h(REPOS.manifests));
    const tagHeaders = await h(REPOS.tags);
    await forEachConcurrent(Array.from({ length: TAG_COUNT }, (_, i) => tagName(i)), 16, (tag) =>
      client.putManifest(pool, REPOS.tags, tag, data.manifest, tagHeaders));
    await forEachConcurrent(Array.from({ length: CATALOG_REPOS }, (_, i) => catalogRepo(i)), 16, async (repo) => {
      const headers = await client.authHeaders([pushScope(repo), `repository:${REPOS.manifests}:pull`]);
      await client.mountOrPush(pool, repo, REPOS.manifests, data.config, headers);
      await client.mountOrPush(pool, repo, REPOS.manifests, data.layer, headers);
      await client.putManifest(pool, repo, 'v1', data.manifest, headers);
    });
  } finally {
    await pool.close();
  }
}
