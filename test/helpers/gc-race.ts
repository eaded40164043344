/**
 * The push race (gc-race.test.ts, gc-cluster.test.ts) on real servers: pushes of images sharing
 * layers (monolithic, chunked and mounted blobs), deletes that make garbage, and a collector
 * running in a loop with a zero grace period, all at once for LAZARET_GC_RACE_MS (5 s), and on
 * a loaded machine longer, until each pusher has tried MIN_PUSHES_EACH pushes and one accepted
 * image is kept (at most four times as long), so that "enough happened" does not depend on the
 * machine's speed. Then:
 * every image whose push was accepted and that was not deleted pulls back byte for byte, and no
 * manifest references a blob missing from the store. Refused pushes are returned, not failed:
 * whether one may be refused is the caller's question.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestServer } from './server.ts';
import { buildImage, createRegistryClient, digestOf, type RegistryClient } from './registry-client.ts';
import type { Collector } from '../../src/lifecycle/gc/collector.ts';
import type { Digest } from '../../src/oci/digest.ts';

const RUN_MS = Number(process.env.LAZARET_GC_RACE_MS ?? 5000);
/** Pushes each of the three pushers tries at least (unless four times RUN_MS pass first). */
export const MIN_PUSHES_EACH = 6;
const PUSHERS = 3;
const SHARED = Array.from({ length: 5 }, (_, i) => Buffer.concat([Buffer.from(`shared layer ${i} `), randomBytes(20_000 + i * 5000)]));

interface Pushed {
  repository: string;
  digest: string;
  blobs: Buffer[];
  manifest: Buffer;
}

async function pushChunked(client: RegistryClient, repository: string, data: Buffer): Promise<number> {
  const start = await client.req('POST', `/v2/${repository}/blobs/uploads/`);
  if (start.status !== 202) return start.status;
  const location = start.headers.location as string;
  const half = Math.floor(data.length / 2);
  const patch = await client.req('PATCH', location, { headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${half - 1}` }, body: data.subarray(0, half) });
  if (patch.status !== 202) return patch.status;
  const put = await client.req('PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digestOf(data)}`, { headers: { 'content-type': 'application/octet-stream' }, body: data.subarray(half) });
  return put.status;
}

/** Pushes one image's blobs by a path chosen by `n`, then its manifest. The status of what refused it, or the digest. */
async function pushImage(client: RegistryClient, repository: string, n: number, mountFrom: string | undefined): Promise<{ pushed?: Pushed; refused?: string }> {
  const layers = [SHARED[n % SHARED.length]!, SHARED[(n + 2) % SHARED.length]!, randomBytes(3000)];
  const image = buildImage({ layers, salt: `${repository}-${n}` });
  for (const [i, blob] of [image.config, ...image.layers].entries()) {
    let status: number;
    const path = (n + i) % 3;
    if (path === 0) {
      status = (await client.req('POST', `/v2/${repository}/blobs/uploads/?digest=${digestOf(blob)}`, { headers: { 'content-type': 'application/octet-stream' }, body: blob })).status;
    } else if (path === 1) {
      status = await pushChunked(client, repository, blob);
    } else {
      const mount = mountFrom ? await client.req('POST', `/v2/${repository}/blobs/uploads/?mount=${digestOf(blob)}&from=${mountFrom}`) : undefined;
      if (mount?.status === 201) status = 201;
      else {
        // Not there to mount: the session the mount fell back to is cancelled, then a plain upload.
        if (mount?.status === 202) await client.req('DELETE', mount.headers.location as string);
        status = await pushChunked(client, repository, blob);
      }
    }
    if (status !== 201) return { refused: `blob upload ${status}` };
  }
  const res = await client.putManifest(repository, `t${n}`, image.manifestBytes, image.manifest.mediaType);
  if (res.status !== 201) return { refused: `manifest ${res.status} ${res.json().errors?.[0]?.code}` };
  return { pushed: { repository, digest: res.headers['docker-content-digest'] as string, blobs: [image.config, ...image.layers], manifest: image.manifestBytes } };
}

/** Pushers (round robin over `servers`), deleters and `collector` in a loop for RUN_MS; then the checks. */
export async function race(servers: TestServer[], collector: Collector) {
  const clients = servers.map((s) => createRegistryClient(s.url));
  const client = clients[0]!;
  const server = servers[0]!;
  const deadline = Date.now() + RUN_MS;
  const hardDeadline = Date.now() + 4 * RUN_MS;
  const kept: Pushed[] = [];
  let attempted = 0;
  let pushing = PUSHERS;
  const refused: string[] = [];
  let deleted = 0;
  let runs = 0;
  let freed = 0;
  try {
    const gcLoop = (async () => {
      while (pushing > 0) {
        const r = await collector.start({ gracePeriodMs: 0 });
        if (!r.started) continue;
        const done = await r.done;
        assert.equal(done.status, 'done', done.error);
        runs++;
        freed += (done.summary as { blobsDeleted: number }).blobsDeleted;
      }
    })();
    const pusher = async (w: number) => {
      for (let n = 0; Date.now() < deadline || ((n < MIN_PUSHES_EACH || kept.length === 0) && Date.now() < hardDeadline); n++) {
        attempted++;
        const repository = `race/w${w}-${n % 3}`;
        const result = await pushImage(clients[(w + n) % clients.length]!, repository, n + w, n > 0 ? `race/w${(w + 1) % 3}-${n % 3}` : undefined);
        if (!result.pushed) {
          refused.push(result.refused!);
          continue;
        }
        // Every third image is deleted again: garbage for the collector while pushes go on.
        if (n % 3 === 2) {
          assert.equal((await client.req('DELETE', `/v2/${repository}/manifests/${result.pushed.digest}`)).status, 202);
          deleted++;
        } else kept.push(result.pushed);
      }
    };
    const pushers = Array.from({ length: PUSHERS }, (_, w) => pusher(w).finally(() => pushing--));
    await Promise.all([gcLoop, ...pushers]);
    // One last run after the dust settles, then everything kept must pull back whole.
    const last = await collector.start({ gracePeriodMs: 0 });
    assert.ok(last.started);
    await last.done;
    for (const image of kept) {
      const m = await client.req('GET', `/v2/${image.repository}/manifests/${image.digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(m.status, 200, `${image.repository}@${image.digest}`);
      assert.ok(m.body.equals(image.manifest));
      for (const blob of image.blobs) {
        const b = await client.req('GET', `/v2/${image.repository}/blobs/${digestOf(blob)}`);
        assert.equal(b.status, 200, `${image.repository} blob ${digestOf(blob)} after the race`);
        assert.ok(b.body.equals(blob), 'byte for byte');
      }
    }
    // No manifest anywhere references bytes the store lacks.
    const { store, blobs } = server.services;
    for (const repository of await store.repositories.list()) {
      for (const m of await store.manifests.list(repository)) {
        for (const d of [m.digest, ...m.blobs]) assert.ok(await blobs.stat(d as Digest), `${repository}@${m.digest} references ${d}, which must exist`);
      }
    }
    return { attempted, kept: kept.length, deleted, refused, runs, freed };
  } finally {
    for (const c of clients) await c.close();
  }
}

