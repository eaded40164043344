/**
 * Scenario 4: manifest PUT at concurrency 16 (distinct manifests, each under a new tag) and
 * manifest GET by tag and by digest at concurrency 64 (wrk).
 */
import { imageManifest, type MemBlob } from '../lib/data.ts';
import { REPOS } from '../lib/fixture.ts';
import { pullScope, pushScope } from '../lib/registry-client.ts';
import { timedLanes, type Context, type Outcome, type Scenario } from '../lib/scenario.ts';
import { MANIFEST_ACCEPT, verifyManifestGet } from '../lib/verify.ts';
import { runWrk } from '../lib/wrk.ts';

const MANIFESTS_PER_SECOND = 5000;

export async function wrkOutcome(ctx: Context, path: string, connections: number, headers: Record<string, string>): Promise<Outcome> {
  const r = await runWrk(ctx.wrkPath, ctx.workDir, { url: `${ctx.target.instance.origin}${path}`, connections, seconds: ctx.seconds, headers });
  return { ops: r.requests, seconds: r.seconds, errors: r.errors, p50Ms: r.p50Ms, p99Ms: r.p99Ms, firstError: r.errors ? 'non-2xx/3xx responses or socket errors (wrk)' : undefined };
}

export const manifestPut: Scenario = {
  id: 'manifest-put',
  group: 4,
  title: 'manifest PUT (new tag each), c=16',
  unit: 'ops/s',
  onVariants: false,
  async prepare({ target, seconds, data, runId }) {
    const { client } = target.instance;
    const { config, layer } = data.fixture;
    const size = (b: MemBlob) => ({ digest: b.digest, size: b.data.length });
    const manifests = Array.from({ length: Math.ceil(MANIFESTS_PER_SECOND * seconds) }, (_, i) => imageManifest(size(config), [size(layer)], `${runId}-${i}`));
    const headers = await client.authHeaders([pushScope(REPOS.manifestPut)]);
    const pool = client.pool(16);
    let done = 0;
    const tag = (i: number) => `p-${runId}-${i}`;
    return {
      run: () => timedLanes(16, seconds, async (_lane, n) => {
        const m = manifests[n];
        if (!m) throw new Error('the pre-made manifest pool ran dry');
        await client.putManifest(pool, REPOS.manifestPut, tag(n), m, headers);
        done = Math.max(done, n + 1);
      }),
      async verify() {
        const sample = [0, done - 1].filter((i, k, a) => i >= 0 && a.indexOf(i) === k);
        for (const i of sample) {
          await verifyManifestGet(client, pool, REPOS.manifestPut, tag(i), manifests[i]!.digest);
          await verifyManifestGet(client, pool, REPOS.manifestPut, manifests[i]!.digest, manifests[i]!.digest);
        }
        return sample.length * 2;
      },
      close: () => pool.close(),
    };
  },
};

function manifestGet(id: string, title: string, byDigest: boolean): Scenario {
  return {
    id,
    group: 4,
    title,
    unit: 'req/s',
    onVariants: true,
    targetRatio: 1.5,
    async prepare(ctx) {
      const { client } = ctx.target.instance;
      const digest = ctx.data.fixture.manifest.digest;
      const reference = byDigest ? digest : 'latest';
      const headers = { ...(await client.authHeaders([pullScope(REPOS.manifests)])), accept: MANIFEST_ACCEPT };
      return {
        run: () => wrkOutcome(ctx, `/v2/${REPOS.manifests}/manifests/${reference}`, 64, headers),
        async verify() {
          const pool = client.pool(1);
          try {
            await verifyManifestGet(client, pool, REPOS.manifests, reference, digest);
          } finally {
            await pool.close();
          }
          return 1;
        },
      };
    },
  };
}

export const manifestGetTag = manifestGet('manifest-get-tag', 'manifest GET by tag, c=64', false);
export const manifestGetDigest = manifestGet('manifest-get-digest', 'manifest GET by digest, c=64', true);
