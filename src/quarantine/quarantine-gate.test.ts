/**
 * The gate as a table: principal kind x via x method x verdict x policy, for manifests, blobs,
 * mounts and lists. The store here is an in-memory stand-in for the two lookups the gate
 * makes; the end-to-end leak matrix (test/leak-matrix.test.ts) runs the same rules over HTTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessContext, RepositoryAction } from '../access/actions.ts';
import type { Digest } from '../oci/digest.ts';
import type { ManifestRecord, TagRecord } from '../metadata/metadata-store.ts';
import { RegistryError } from '../errors/registry-error.ts';
import { createQuarantineGate } from './quarantine-gate.ts';
import type { PolicyCache } from './policy.ts';
import type { QuarantineState, VerdictRecord, VerdictStore } from './verdicts.ts';

const REPO = 'team/app';
const d = (c: string) => `sha256:${c.repeat(64)}` as Digest;
const M = { absent: d('a'), Quarantined: d('b'), Passed: d('c'), Failed: d('e') } as const;
const LAYER = { onlyHeld: d('1'), shared: d('2'), onlyPassed: d('3'), orphan: d('4') };
type VerdictCase = keyof typeof M;

function access(kind: string, actions: RepositoryAction[]): AccessContext {
  return {
    principal: { kind: kind === 'anonymous' ? 'anonymous' : 'user', id: kind, name: kind },
    can: (repository, action) => repository === REPO && actions.includes(action),
    canRegistry: () => false,
    canEveryUnder: () => false,
  };
}

const PRINCIPALS = {
  anonymous: access('anonymous', ['pull']),
  'pull-only': access('pull-only', ['pull', 'metadata_read']),
  pusher: access('pusher', ['pull', 'push']),
  'scoped token': access('scoped token', ['pull', 'metadata_read']),
  owner: access('owner', ['pull', 'push', 'delete', 'metadata_read', 'metadata_write']),
  'quarantine reader': access('quarantine reader', ['pull', 'quarantine_read']),
  'quarantine writer': access('quarantine writer', ['pull', 'push', 'quarantine_read', 'quarantine_write']),
  'writer without read action': access('writer without read action', ['quarantine_write']),
} as const;
type Kind = keyof typeof PRINCIPALS;
const READERS: Kind[] = ['quarantine reader', 'quarantine writer', 'writer without read action'];
const PUSHERS: Kind[] = ['pusher', 'owner', 'quarantine writer'];

function world(enabled: boolean) {
  const verdicts = new Map<Digest, VerdictRecord>();
  for (const [c, digest] of Object.entries(M)) {
    if (c !== 'absent') verdicts.set(digest, { repository: REPO, digest, state: c as QuarantineState, updatedAt: new Date(), updatedBy: 'x' });
  }
  const refs: Record<string, Digest[]> = {
    [LAYER.onlyHeld]: [M.Quarantined, M.Failed, M.absent],
    [LAYER.shared]: [M.Quarantined, M.Passed],
    [LAYER.onlyPassed]: [M.Passed],
    [LAYER.orphan]: [],
  };
  let queries = 0;
  const store = {
    verdicts: {
      get: async (r: string, dg: Digest) => (queries++, r === REPO ? verdicts.get(dg) : undefined),
      getMany: async (r: string, ds: Digest[]) => (queries++, new Map(ds.filter((x) => r === REPO && verdicts.has(x)).map((x) => [x, verdicts.get(x)!]))),
      repositoriesWithReleased: async (names: string[]) => (queries++, new Set(names.filter((n) => n === 'released-repo'))),
      blobReleased: async (r: string, b: Digest) => (queries++, r === REPO && (refs[b] ?? []).some((m) => verdicts.get(m)?.state === 'Passed')),
    } as unknown as VerdictStore,
    manifests: { referencingBlob: async (_r: string, b: Digest) => (queries++, refs[b] ?? []) },
  };
  const policy: PolicyCache = { enabled: async () => enabled, gates: async () => enabled, gating: async () => () => enabled, invalidate: () => {} };
  return { gate: createQuarantineGate({ policy, store }), queries: () => queries };
}

const manifest = (digest: Digest) => ({ repository: REPO, digest }) as ManifestRecord;

async function outcome(p: Promise<void>): Promise<string> {
  try {
    await p;
    return 'served';
  } catch (err) {
    assert.ok(err instanceof RegistryError);
    assert.match(err.headers.Warning ?? '', /^299 - ".*held by the quarantine policy.*"$/, 'every gate refusal names the hold');
    return `${err.status} ${err.code}`;
  }
}

for (const enabled of [false, true]) {
  for (const kind of Object.keys(PRINCIPALS) as Kind[]) {
    test(`manifests: policy ${enabled ? 'on' : 'off'}, ${kind}`, async () => {
      const { gate } = world(enabled);
      for (const verdict of Object.keys(M) as VerdictCase[]) {
        for (const via of ['tag', 'digest'] as const) {
          for (const method of ['GET', 'HEAD'] as const) {
            const got = await outcome(gate.checkManifestRead(PRINCIPALS[kind], manifest(M[verdict]), via, method));
            const served = !enabled || verdict === 'Passed' || READERS.includes(kind) || (method === 'HEAD' && PUSHERS.includes(kind));
            const want = served ? 'served' : via === 'tag' ? '404 MANIFEST_UNKNOWN' : '403 IMAGE_QUARANTINED';
            assert.equal(got, want, `${verdict} via ${via} ${method}`);
          }
        }
      }
    });

    test(`blobs, mounts and lists: policy ${enabled ? 'on' : 'off'}, ${kind}`, async () => {
      const { gate } = world(enabled);
      const reader = READERS.includes(kind);
      for (const [name, blob] of Object.entries(LAYER)) {
        const releasedBlob = name === 'shared' || name === 'onlyPassed';
        for (const method of ['GET', 'HEAD'] as const) {
          const served = !enabled || reader || releasedBlob || (method === 'HEAD' && PUSHERS.includes(kind));
          assert.equal(await outcome(gate.checkBlobRead(PRINCIPALS[kind], REPO, blob, method)), served ? 'served' : '403 IMAGE_QUARANTINED', `${name} ${method}`);
        }
        const mayPull = PRINCIPALS[kind].can(REPO, 'pull') || reader;
        assert.equal(await gate.canMount(PRINCIPALS[kind], REPO, blob), mayPull && (!enabled || reader || releasedBlob), `mount ${name}`);
      }
      const tags = (Object.keys(M) as VerdictCase[]).map((v) => ({ repository: REPO, name: `t-${v}`, digest: M[v] }) as TagRecord);
      const seen = (await gate.visibleTags(PRINCIPALS[kind], REPO, tags)).map((t) => t.name);
      assert.deepEqual(seen, !enabled || reader ? tags.map((t) => t.name) : ['t-Passed']);
      const ms = (Object.keys(M) as VerdictCase[]).map((v) => manifest(M[v]));
      const seenM = (await gate.visibleManifests(PRINCIPALS[kind], REPO, ms)).map((m) => m.digest);
      assert.deepEqual(seenM, !enabled || reader ? ms.map((m) => m.digest) : [M.Passed]);
      const repos = await gate.visibleRepositories(PRINCIPALS[kind], ['held-repo', REPO, 'released-repo']);
      assert.deepEqual(repos, !enabled ? ['held-repo', REPO, 'released-repo'] : reader ? [REPO, 'released-repo'] : ['released-repo']);
    });
  }
}

test('no queries when the policy is off, none for quarantine readers', async () => {
  for (const [enabled, kind] of [[false, 'pull-only'], [true, 'quarantine reader']] as const) {
    const { gate, queries } = world(enabled);
    const a = PRINCIPALS[kind];
    await gate.checkManifestRead(a, manifest(M.Quarantined), 'digest', 'GET');
    await gate.checkBlobRead(a, REPO, LAYER.onlyHeld, 'GET');
    await gate.canMount(a, REPO, LAYER.onlyHeld);
    await gate.visibleTags(a, REPO, [{ repository: REPO, name: 'x', digest: M.absent } as TagRecord]);
    await gate.visibleManifests(a, REPO, [manifest(M.absent)]);
    assert.equal(queries(), 0, `${kind}, policy ${enabled}`);
  }
});

test('the warning names the verdict', async () => {
  const { gate } = world(true);
  const a = PRINCIPALS['pull-only'];
  for (const [verdict, text] of [['absent', 'no verdict yet'], ['Quarantined', 'quarantineState is Quarantined'], ['Failed', 'quarantineState is Failed']] as const) {
    await assert.rejects(gate.checkManifestRead(a, manifest(M[verdict]), 'digest', 'GET'), (err: RegistryError) => {
      assert.equal(err.message, 'The operation is disallowed.');
      assert.ok(err.headers.Warning!.includes(text), err.headers.Warning);
      return true;
    });
  }
  await assert.rejects(gate.checkBlobRead(a, REPO, LAYER.onlyHeld, 'GET'), (err: RegistryError) => err.headers.Warning!.includes('Failed'));
  await assert.rejects(gate.checkBlobRead(a, REPO, LAYER.orphan, 'GET'), (err: RegistryError) => err.headers.Warning!.includes('no released manifest'));
});
