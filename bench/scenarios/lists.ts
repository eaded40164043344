/**
 * Scenario 5: the tags list of a repository with 1,000 tags and the catalog of 1,000
 * repositories, both at concurrency 16 (wrk). `?n=1000` asks for the whole list in one page
 * from both registries.
 */
import { CATALOG_REPOS, REPOS, TAG_COUNT, tagName } from '../lib/fixture.ts';
import { CATALOG_SCOPE, pullScope } from '../lib/registry-client.ts';
import { check, type Scenario } from '../lib/scenario.ts';
import { wrkOutcome } from './manifests.ts';

async function getJson(url: string, headers: Record<string, string>): Promise<unknown> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  check(res.status === 200, `GET ${url}: status ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

export const tagsList: Scenario = {
  id: 'tags-list-1000',
  group: 5,
  title: 'tags list (1,000 tags), c=16',
  unit: 'req/s',
  onVariants: true,
  async prepare(ctx) {
    const { client, origin } = ctx.target.instance;
    const headers = await client.authHeaders([pullScope(REPOS.tags)]);
    const path = `/v2/${REPOS.tags}/tags/list?n=${TAG_COUNT}`;
    return {
      run: () => wrkOutcome(ctx, path, 16, headers),
      async verify() {
        const body = await getJson(`${origin}${path}`, headers) as { name?: string; tags?: string[] };
        check(body.name === REPOS.tags, `tags list name ${body.name}`);
        const tags = new Set(body.tags ?? []);
        check(tags.size === TAG_COUNT, `tags list has ${tags.size} tags, expected ${TAG_COUNT}`);
        for (const i of [0, 499, TAG_COUNT - 1]) check(tags.has(tagName(i)), `tags list lacks ${tagName(i)}`);
        return 1;
      },
    };
  },
};

export const catalog: Scenario = {
  id: 'catalog-1000',
  group: 5,
  title: 'catalog (1,000+ repositories, n=1000), c=16',
  unit: 'req/s',
  onVariants: true,
  async prepare(ctx) {
    const { client, origin } = ctx.target.instance;
    const headers = await client.authHeaders([CATALOG_SCOPE]);
    const path = `/v2/_catalog?n=${CATALOG_REPOS}`;
    return {
      run: () => wrkOutcome(ctx, path, 16, headers),
      async verify() {
        const body = await getJson(`${origin}${path}`, headers) as { repositories?: string[] };
        const repos = body.repositories ?? [];
        check(repos.length === CATALOG_REPOS, `catalog page has ${repos.length} repositories, expected ${CATALOG_REPOS}`);
        check(repos.includes(REPOS.manifests) && repos.some((r) => r.startsWith(REPOS.catalogPrefix)), 'catalog lacks the fixture repositories');
        return 1;
      },
    };
  },
};
