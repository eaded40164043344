/**
 * THE LEAK MATRIX: for every principal kind, every read path, and held (Quarantined), failed
 * and passed manifests, with the policy off and on, assert exactly what is served and what is
 * refused. Real servers in token mode, real HTTP, real identities (users with ACR roles, a
 * repository-scoped token, anonymous pull switched on). The same assertions run on one node
 * (test/leak-matrix.test.ts) and through the HAProxy cluster (test/cluster-haproxy.test.ts):
 * `target` says where requests go; `ns` prefixes every repository and user name the suite
 * makes, so it can share a registry with other suites (lists are checked within `ns`).
 *
 * Expectations come from docs/quarantine.md's table, written out in `expect()` below, independently
 * of the gate's code. Outcomes:
 *   served       2xx (lists: the names listed)
 *   auth         401/403 UNAUTHORIZED or DENIED: the principal lacks the action altogether
 *   hidden       404 MANIFEST_UNKNOWN / NAME_UNKNOWN (as if absent) + Warning 299 when gated
 *   quarantined  403 IMAGE_QUARANTINED + Warning 299
 *   mounted      201 on a cross-repository mount; fallback: 202 (an upload session instead)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { basicAuth } from '../helpers/identities.ts';
import { accessTokenOn, adminAuthOf, createUserOn, type RegistryTarget } from '../helpers/target.ts';
import { call, putManifest, sha256, uploadBlob, pushImage, type PushedImage } from '../helpers/quarantine-fixtures.ts';
import { hashSecret } from '../../src/auth/passwords.ts';

type Kind = 'anonymous' | 'pull-only' | 'pusher' | 'scoped token' | 'quarantine reader' | 'quarantine writer' | 'owner';
const KINDS: Kind[] = ['anonymous', 'pull-only', 'pusher', 'scoped token', 'quarantine reader', 'quarantine writer', 'owner'];
type Item = 'held' | 'failed' | 'passed';
const ITEMS: Item[] = ['held', 'failed', 'passed'];

/** What each principal may do at all (roles, scope map, anonymous pull): the baseline. */
const CAN: Record<Kind, { metadata: boolean; catalog: boolean; push: boolean; quarantine: boolean }> = {
  anonymous: { metadata: false, catalog: false, push: false, quarantine: false },
  'pull-only': { metadata: true, catalog: true, push: false, quarantine: false },
  pusher: { metadata: true, catalog: true, push: true, quarantine: false },
  'scoped token': { metadata: true, catalog: false, push: false, quarantine: false },
  'quarantine reader': { metadata: true, catalog: true, push: false, quarantine: true },
  'quarantine writer': { metadata: true, catalog: true, push: false, quarantine: true },
  owner: { metadata: true, catalog: true, push: true, quarantine: false },
};

type Need = 'pull' | 'metadata' | 'catalog' | 'push';
type Via = 'tag' | 'digest' | 'blob' | 'list';

/** docs/quarantine.md "The gate", row by row. */
function expect(kind: Kind, policy: boolean, item: Item, need: Need, via: Via, method: 'GET' | 'HEAD'): string {
  const can = CAN[kind];
  if (need === 'metadata' && !can.metadata) return 'auth';
  if (need === 'catalog' && !can.catalog) return 'auth';
  if (need === 'push' && !can.push) return 'auth';
  const visible = !policy || item === 'passed' || can.quarantine || (method === 'HEAD' && can.push);
  if (need === 'push') return visible ? 'mounted' : 'fallback';
  if (visible) return 'served';
  return via === 'tag' ? 'hidden' : 'quarantined';
}

function outcome(r: { status: number; headers: Record<string, unknown>; body: any }): string {
  const warning = String(r.headers.warning ?? '');
  const code = r.body?.errors?.[0]?.code;
  if (r.status === 201) return 'mounted';
  if (r.status === 202) return 'fallback';
  if (r.status >= 200 && r.status < 300) return 'served';
  if (r.status === 404) return 'hidden';
  if (r.status === 403 && (code === 'IMAGE_QUARANTINED' || /^299 - ".*held by the quarantine policy/.test(warning))) {
    assert.match(warning, /^299 - ".*held by the quarantine policy/, 'a quarantine refusal carries Warning: 299');
    return 'quarantined';
  }
  if (r.status === 401 || r.status === 403) return 'auth';
  return `unexpected ${r.status} ${code}`;
}

export function leakMatrixSuite(target: () => RegistryTarget, ns: string): void {
describe(`leak matrix (${ns || 'no prefix'})`, () => {
  let t: RegistryTarget;
  let u: string;
  const adminAuth = () => adminAuthOf(t);
  const [MATRIX, ALLHELD] = [`${ns}matrix`, `${ns}allheld`];
  const img = {} as Record<Item, PushedImage>;
  let shared: string;
  const referrers = {} as Record<'held' | 'passed', string>;
  let tokenSecret: string;
  const PASSWORD = 'matrix-password-1';

  before(async () => {
    t = target();
    u = t.url;
    const store = t.store;
    await createUserOn(t, `${ns}puller`, PASSWORD, [{ role: 'AcrPull' }]);
    await createUserOn(t, `${ns}pusher`, PASSWORD, [{ role: 'AcrPush' }]);
    await createUserOn(t, `${ns}qreader`, PASSWORD, [{ role: 'AcrQuarantineReader' }]);
    await createUserOn(t, `${ns}qwriter`, PASSWORD, [{ role: 'AcrQuarantineWriter' }]);
    await store.scopeMaps.put(`${ns}matrix-read`, 'pull and read metadata of matrix', [`repositories/${MATRIX}/content/read`, `repositories/${MATRIX}/metadata/read`]);
    const token = (await store.registryTokens.create(`${ns}ci-reader`, `${ns}matrix-read`, 'enabled'))!;
    tokenSecret = 'scoped-token-secret-0123456789abcdef';
    await store.registryTokens.setPassword(token.id, { name: 'password1', hash: hashSecret(tokenSecret) });
    // Through the API: every node of the target hears of it at once (a node caches the setting).
    assert.equal((await call(u, 'PUT', '/api/v1/anonymous-pull', { headers: { authorization: adminAuth() }, body: { enabled: true } })).status, 200);

    const h = { authorization: adminAuth() };
    const sharedLayer = 'a layer the held and the passed image share';
    for (const item of ITEMS) img[item] = await pushImage(u, MATRIX, { seed: `matrix-${item}`, tag: item, headers: h, ...(item !== 'failed' ? { extraLayers: [sharedLayer] } : {}) });
    shared = sha256(sharedLayer);
    const allheld = await pushImage(u, ALLHELD, { seed: 'allheld', tag: 'only', headers: h });
    // Two referrers of the passed image: a held signature and a passed SBOM.
    const empty = await uploadBlob(u, MATRIX, '{}', h);
    for (const which of ['held', 'passed'] as const) {
      const layer = await uploadBlob(u, MATRIX, `referrer payload ${which}`, h);
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: `application/vnd.test.${which}`,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
        layers: [{ mediaType: 'application/octet-stream', digest: layer, size: Buffer.byteLength(`referrer payload ${which}`) }],
        subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: img.passed.digest, size: img.passed.size },
      });
      referrers[which] = await putManifest(u, MATRIX, sha256(body), body, 'application/vnd.oci.image.manifest.v1+json', h);
    }
    const v = (repository: string, digest: string, state: 'Quarantined' | 'Passed' | 'Failed') =>
      store.verdicts.set({ repository, digest: digest as never, state, updatedBy: 'matrix-setup' });
    await v(MATRIX, img.held.digest, 'Quarantined');
    await v(MATRIX, img.failed.digest, 'Failed');
    await v(MATRIX, img.passed.digest, 'Passed');
    await v(MATRIX, referrers.passed, 'Passed');
    await v(MATRIX, referrers.held, 'Quarantined');
    await v(ALLHELD, allheld.digest, 'Quarantined');
  });
  // A shared target is left as the suite found it.
  after(async () => {
    await call(u, 'PATCH', '/api/v1/policies', { headers: { authorization: adminAuth() }, body: { quarantinePolicy: { status: 'disabled' } } });
    await call(u, 'PUT', '/api/v1/anonymous-pull', { headers: { authorization: adminAuth() }, body: { enabled: false } });
  });

  /** Credentials per kind: bearer tokens with every scope the matrix uses (one password check each). */
  async function credentials(kind: Kind, mountTargets: string[]): Promise<Record<string, string>> {
    if (kind === 'anonymous') return {};
    if (kind === 'scoped token') return { authorization: basicAuth(`${ns}ci-reader`, tokenSecret) };
    const [user, password] = kind === 'owner' ? [t.admin.user, t.admin.password] : [`${ns}${{ 'pull-only': 'puller', pusher: 'pusher', 'quarantine reader': 'qreader', 'quarantine writer': 'qwriter' }[kind]}`, PASSWORD];
    // docker push asks for pull,push: that token is what lets a pusher HEAD held content.
    const scopes = [`repository:${MATRIX}:pull,push,metadata_read`, `repository:${ALLHELD}:pull,metadata_read`, 'registry:catalog:*', ...mountTargets.map((m) => `repository:${m}:pull,push`)];
    return { authorization: `Bearer ${await accessTokenOn(t, user!, password!, ...scopes)}` };
  }

  for (const policy of [false, true]) {
    for (const kind of KINDS) {
      test(`policy ${policy ? 'on' : 'off'}: ${kind}`, async () => {
        const enabled = await call(u, 'PATCH', '/api/v1/policies', { headers: { authorization: adminAuth() }, body: { quarantinePolicy: { status: policy ? 'enabled' : 'disabled' } } });
        assert.equal(enabled.status, 200);
        const tag = `${policy ? 'on' : 'off'}-${kind.replace(/ /g, '-')}`;
        const targets = Object.fromEntries([...ITEMS, 'shared'].map((i) => [i, `${ns}mnt-${tag}-${i}`]));
        const h = await credentials(kind, Object.values(targets));
        const got: Record<string, string> = {};
        const want: Record<string, string> = {};
        const check = async (key: string, expected: string, method: string, path: string, mustNotContain: string[] = []) => {
          const r = await call(u, method, path, { headers: h });
          got[key] = outcome(r);
          want[key] = expected;
          if (got[key] !== 'served' && got[key] !== 'mounted') for (const secret of mustNotContain) assert.ok(!r.text.includes(secret), `${key}: a refusal leaked ${secret}`);
        };

        for (const item of ITEMS) {
          const { digest, config, layers, manifest } = img[item];
          for (const method of ['GET', 'HEAD'] as const) {
            await check(`${item} manifest ${method} by tag`, expect(kind, policy, item, 'pull', 'tag', method), method, `/v2/${MATRIX}/manifests/${item}`, [manifest]);
            await check(`${item} manifest ${method} by digest`, expect(kind, policy, item, 'pull', 'digest', method), method, `/v2/${MATRIX}/manifests/${digest}`, [manifest]);
            await check(`${item} layer ${method}`, expect(kind, policy, item, 'pull', 'blob', method), method, `/v2/${MATRIX}/blobs/${layers[0]}`, [`layer of matrix-${item}`]);
            await check(`${item} config ${method}`, expect(kind, policy, item, 'pull', 'blob', method), method, `/v2/${MATRIX}/blobs/${config}`, [`matrix-${item}`]);
          }
          await check(`${item} mount`, expect(kind, policy, item, 'push', 'blob', 'GET'), 'POST', `/v2/${targets[item]}/blobs/uploads/?mount=${layers[0]}&from=${MATRIX}`);
          await check(`${item} /acr/v1 tag`, expect(kind, policy, item, 'metadata', 'tag', 'GET'), 'GET', `/acr/v1/${MATRIX}/_tags/${item}`);
          // An image's history is metadata: a held one is absent (404, as a missing one) to those who may not see it.
          await check(`${item} history`, expect(kind, policy, item, 'metadata', 'tag', 'GET'), 'GET', `/api/v1/repositories/${MATRIX}/manifests/${digest}/history`, [manifest]);
          // One manifest's attributes take metadata_read or pull (the seed's scanner reads them with a pull token).
          await check(`${item} /acr/v1 manifest`, expect(kind === 'anonymous' ? 'pull-only' : kind, policy, item, 'pull', 'digest', 'GET'), 'GET', `/acr/v1/${MATRIX}/_manifests/${digest}`);
        }
        // A blob shared with the passed image is released; mounting it works for anyone who may push.
        await check('shared layer GET', expect(kind, policy, 'passed', 'pull', 'blob', 'GET'), 'GET', `/v2/${MATRIX}/blobs/${shared}`);
        await check('shared layer mount', expect(kind, policy, 'passed', 'push', 'blob', 'GET'), 'POST', `/v2/${targets.shared}/blobs/uploads/?mount=${shared}&from=${MATRIX}`);

        // Lists: exactly the visible names.
        const seen = (item: Item) => expect(kind, policy, item, 'pull', 'tag', 'GET') === 'served';
        const list = async (key: string, need: Need, path: string, pick: (body: any) => unknown, expected: unknown) => {
          const r = await call(u, 'GET', path, { headers: h });
          const o = outcome(r);
          const authOk = need === 'pull' || (need === 'metadata' ? CAN[kind].metadata : CAN[kind].catalog);
          got[key] = o === 'served' ? JSON.stringify(pick(r.body)) : o;
          want[key] = authOk ? JSON.stringify(expected) : 'auth';
        };
        const visibleTags = ITEMS.filter(seen);
        await list('/v2 tags list', 'pull', `/v2/${MATRIX}/tags/list`, (b) => b.tags, visibleTags.sort());
        const reposVisible = !policy || CAN[kind].quarantine ? [ALLHELD, MATRIX] : [MATRIX];
        // Within the suite's names (a shared target has others' repositories too).
        const ours = (names: string[]) => names.filter((n) => n.startsWith(ns) && !n.startsWith(`${ns}mnt-`));
        await list('/v2 catalog', 'catalog', '/v2/_catalog', (b) => ours(b.repositories), reposVisible);
        const refs = [...(!policy || CAN[kind].quarantine ? [referrers.held] : []), referrers.passed].sort();
        await list('/v2 referrers', 'pull', `/v2/${MATRIX}/referrers/${img.passed.digest}`, (b) => b.manifests.map((m: any) => m.digest).sort(), refs);
        await list('/acr/v1 catalog', 'catalog', '/acr/v1/_catalog', (b) => ours(b.repositories ?? []), reposVisible);
        await list('/acr/v1 tags', 'metadata', `/acr/v1/${MATRIX}/_tags`, (b) => b.tags.map((t: any) => `${t.name}:${t.quarantineState}`).sort(),
          visibleTags.map((t) => `${t}:${{ held: 'Quarantined', failed: 'Failed', passed: 'Passed' }[t]}`).sort());
        const visibleManifests = [...ITEMS.filter(seen).map((i) => img[i].digest), ...refs].sort();
        await list('/acr/v1 manifests', 'metadata', `/acr/v1/${MATRIX}/_manifests`, (b) => b.manifests.map((m: any) => m.digest).sort(), visibleManifests);
        await list('/acr/v1 repository counts', 'metadata', `/acr/v1/${MATRIX}`, (b) => [b.manifestCount, b.tagCount], [visibleManifests.length, visibleTags.length]);
        // A repository holding only held content does not exist for those who may not see it.
        const allheld = await call(u, 'GET', `/acr/v1/${ALLHELD}/_tags`, { headers: h });
        got['/acr/v1 all-held repository'] = outcome(allheld);
        // (The scoped token's scope map covers matrix only.)
        want['/acr/v1 all-held repository'] = !CAN[kind].metadata || kind === 'scoped token' ? 'auth' : !policy || CAN[kind].quarantine ? 'served' : 'hidden';

        assert.deepEqual(got, want);
      });
    }
  }
});

/**
 * Issue 10 items 4-8, for every principal kind: what is HIDDEN must answer exactly as what is
 * MISSING (status, body, Warning, Link/next), and derived values must not move with held
 * content. Each pair compares a request naming held content with the same request naming
 * content that does not exist.
 */
describe('leak matrix: cursors, existence answers, derived values, error bodies', () => {
  type MKind = 'anonymous' | 'pull-only' | 'reader' | 'pusher' | 'quarantine reader' | 'owner';
  const MKINDS: MKind[] = ['anonymous', 'pull-only', 'reader', 'pusher', 'quarantine reader', 'owner'];
  const PASSWORD = 'meta-matrix-password-1';
  const USERS: Record<Exclude<MKind, 'anonymous' | 'owner'>, [string, 'AcrPull' | 'Reader' | 'AcrPush' | 'AcrQuarantineReader']> = {
    'pull-only': [`${ns}mpuller`, 'AcrPull'],
    reader: [`${ns}mreader`, 'Reader'],
    pusher: [`${ns}mpusher`, 'AcrPush'],
    'quarantine reader': [`${ns}mqreader`, 'AcrQuarantineReader'],
  };
  const [APP, ALLHELD, NONE] = [`${ns}meta/app`, `${ns}meta/allheld`, `${ns}meta/none`];
  const seesHeld = (k: MKind) => k === 'quarantine reader';
  const holdsPush = (k: MKind) => k === 'pusher' || k === 'owner';
  let t: RegistryTarget;
  let u: string;
  const adminAuth = () => adminAuthOf(t);
  let passed: PushedImage;
  let held: PushedImage;
  let allheld: PushedImage;
  let lastUpdateBeforeHeldPush: string;
  const GHOST = `sha256:${'f'.repeat(64)}`;

  before(async () => {
    t = target();
    u = t.url;
    const store = t.store;
    for (const [user, role] of Object.values(USERS)) await createUserOn(t, user, PASSWORD, [{ role }]);
    const h = { authorization: adminAuth() };
    assert.equal((await call(u, 'PUT', '/api/v1/anonymous-pull', { headers: h, body: { enabled: true } })).status, 200);
    assert.equal((await call(u, 'PATCH', '/api/v1/policies', { headers: h, body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
    passed = await pushImage(u, APP, { seed: 'meta-passed', tag: 'passed', headers: h });
    await store.verdicts.set({ repository: APP, digest: passed.digest as never, state: 'Passed', updatedBy: 'matrix-setup' });
    lastUpdateBeforeHeldPush = (await call(u, 'GET', `/acr/v1/${APP}`, { headers: h })).body.lastUpdateTime;
    await new Promise((r) => setTimeout(r, 5));
    held = await pushImage(u, APP, { seed: 'meta-held', tag: 'held', headers: h });
    allheld = await pushImage(u, ALLHELD, { seed: 'meta-allheld', tag: 'only', headers: h });
    // A verdict entry in the audit log naming the held manifest (a Reader must not find it).
    await store.verdicts.set({ repository: APP, digest: held.digest as never, state: 'Failed', updatedBy: 'matrix-setup' });
    await store.audit.append({ actor: 'scanner', action: 'verdict.change', target: `${APP}@${held.digest}`, after: { state: 'Failed' } });
  });
  after(async () => {
    await call(u, 'PATCH', '/api/v1/policies', { headers: { authorization: adminAuth() }, body: { quarantinePolicy: { status: 'disabled' } } });
    await call(u, 'PUT', '/api/v1/anonymous-pull', { headers: { authorization: adminAuth() }, body: { enabled: false } });
  });

  async function headers(kind: MKind): Promise<{ v2: Record<string, string>; api: Record<string, string> }> {
    if (kind === 'anonymous') return { v2: {}, api: {} };
    const [user, password] = kind === 'owner' ? [t.admin.user, t.admin.password] : [USERS[kind][0], PASSWORD];
    // Every repository asked with pull only: what `crane digest` or a plain pull asks for.
    const scopes = [APP, ALLHELD, NONE].map((r) => `repository:${r}:pull,metadata_read,delete`);
    return { v2: { authorization: `Bearer ${await accessTokenOn(t, user, password, ...scopes)}` }, api: { authorization: basicAuth(user, password) } };
  }

  const shape = (r: { status: number; headers: Record<string, unknown>; text: string }) => ({
    status: r.status,
    body: r.text,
    warning: r.headers.warning ?? null,
    link: r.headers.link ?? null,
    contentType: r.headers['content-type'] ?? null,
  });

  for (const kind of MKINDS) {
    test(`hidden equals missing: ${kind}`, async () => {
      const { v2, api } = await headers(kind);
      // `rename`: the name the hidden request used, written as the missing one's (bodies name what was asked for).
      const pair = async (label: string, method: string, hidden: string, absent: string, h = v2, rename?: [RegExp, string]) => {
        const a = shape(await call(u, method, hidden, { headers: h }));
        const b = shape(await call(u, method, absent, { headers: h }));
        return { label, a: rename ? { ...a, body: a.body.replace(rename[0], rename[1]) } : a, b };
      };
      const same: Awaited<ReturnType<typeof pair>>[] = [];
      // Item 4: cursors naming held things behave as cursors naming missing ones.
      same.push(await pair('_tags timedesc cursor', 'GET', `/acr/v1/${APP}/_tags?orderby=timedesc&last=held`, `/acr/v1/${APP}/_tags?orderby=timedesc&last=nosuchtag`));
      same.push(await pair('_tags timeasc cursor', 'GET', `/acr/v1/${APP}/_tags?orderby=timeasc&last=held&n=1`, `/acr/v1/${APP}/_tags?orderby=timeasc&last=nosuchtag&n=1`));
      same.push(await pair('_manifests timeasc cursor', 'GET', `/acr/v1/${APP}/_manifests?orderby=timeasc&last=${held.digest}`, `/acr/v1/${APP}/_manifests?orderby=timeasc&last=${GHOST}`));
      same.push(await pair('history of a held image', 'GET', `/api/v1/repositories/${APP}/manifests/${held.digest}/history`, `/api/v1/repositories/${APP}/manifests/${GHOST}/history`, api, [new RegExp(held.digest, 'g'), GHOST]));
      const audits: Awaited<ReturnType<typeof pair>>[] = [];
      audits.push(await pair('audit target prefix', 'GET', `/api/v1/audit?action=verdict.change&target=${encodeURIComponent(`${APP}@${held.digest.slice(0, 12)}`)}&n=1`, `/api/v1/audit?action=verdict.change&target=${encodeURIComponent(`${APP}@${GHOST.slice(0, 12)}`)}&n=1`, api));
      audits.push(await pair('audit next over a held entry', 'GET', `/api/v1/audit?action=verdict.change&target=${encodeURIComponent(`${APP}@`)}&n=1`, `/api/v1/audit?action=verdict.change&target=${encodeURIComponent(`${NONE}@`)}&n=1`, api));
      // Item 5: a repository whose every manifest is hidden answers as a missing one, first.
      for (const [label, method, path] of [
        ['/acr/v1 manifest lookup', 'GET', `_manifests/${GHOST}`],
        ['/acr/v1 tag lookup', 'GET', '_tags/nosuchtag'],
        ['/acr/v1 tag delete', 'DELETE', '_tags/nosuchtag'],
        ['/acr/v1 repository', 'GET', ''],
        ['/acr/v1 repository delete', 'DELETE', ''],
      ] as const) {
        same.push(await pair(label, method, `/acr/v1/${ALLHELD}${path ? `/${path}` : ''}`, `/acr/v1/${NONE}${path ? `/${path}` : ''}`, v2, [/meta\/allheld/g, 'meta/none']));
      }
      // Item 7: a held tag is a missing tag (no Warning) for those without push.
      const tagPairs = [
        await pair('/v2 GET held tag', 'GET', `/v2/${APP}/manifests/held`, `/v2/${APP}/manifests/nosuchtag`, v2, [/\bheld\b/g, 'nosuchtag']),
        await pair('/v2 HEAD held tag', 'HEAD', `/v2/${APP}/manifests/held`, `/v2/${APP}/manifests/nosuchtag`, v2, [/\bheld\b/g, 'nosuchtag']),
        await pair('/acr/v1 held tag', 'GET', `/acr/v1/${APP}/_tags/held`, `/acr/v1/${APP}/_tags/nosuchtag`, v2, [/\bheld\b/g, 'nosuchtag']),
      ];
      if (seesHeld(kind)) {
        // It sees held content: only the answers that do not depend on seeing it must agree.
        for (const p of same.filter((p) => p.label.startsWith('/acr/v1 repository delete') || p.label.includes('lookup'))) assert.ok(p.a.status !== 500, p.label);
      } else {
        for (const p of same) assert.deepEqual(p.a, p.b, `${kind}: ${p.label}: held answered differently from missing`);
        // Owners and Contributors (configure) see held metadata in the audit log by decision.
        if (kind !== 'owner') for (const p of audits) assert.deepEqual(p.a, p.b, `${kind}: ${p.label}: held answered differently from missing`);
        for (const p of tagPairs) {
          if (holdsPush(kind) && p.a.status === 404) {
            assert.match(String(p.a.warning), /^299 - ".*held by the quarantine policy/, `${kind}: ${p.label}: a pusher is told why`);
            assert.deepEqual({ ...p.a, warning: null }, p.b, `${kind}: ${p.label}: apart from the Warning, as missing`);
          } else if (!(holdsPush(kind) && p.label.includes('HEAD'))) {
            assert.deepEqual(p.a, p.b, `${kind}: ${p.label}: held answered differently from missing`);
          }
        }
      }
      // Item 6: derived values come from what the caller may see.
      const repo = await call(u, 'GET', `/acr/v1/${APP}`, { headers: v2 });
      if (repo.status === 200) {
        if (seesHeld(kind)) assert.notEqual(repo.body.lastUpdateTime, lastUpdateBeforeHeldPush, 'a quarantine reader sees the held push');
        else {
          assert.equal(repo.body.lastUpdateTime, lastUpdateBeforeHeldPush, `${kind}: a held push moved lastUpdateTime`);
          assert.deepEqual([repo.body.manifestCount, repo.body.tagCount], [1, 1]);
        }
      } else assert.equal(kind, 'anonymous');
      // The all-held repository's content is still there (nothing was deleted by a hidden DELETE).
      assert.ok(await t.store.manifests.get(ALLHELD, allheld.digest as never));
    });
  }
});
}
