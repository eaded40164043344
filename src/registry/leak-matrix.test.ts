/**
 * The leak matrix on the registry service itself (issue 11 item 2): every principal kind x
 * every read operation x held / failed / passed x policy off / on x changeable attributes
 * (plain / repository read-locked / tag list-locked). Real services (SQLite, the fs blob store,
 * the gate, the lifecycle), no HTTP, so the whole table runs in a few seconds.
 *
 * Expectations are written from the rules (docs/quarantine.md), not from the code:
 *   visible = policy off, or passed, or quarantine read, or (HEAD and push)
 *   hidden by tag   -> exactly the missing tag's error (+ Warning only for push holders)
 *   hidden by digest or blob -> 403 IMAGE_QUARANTINED + Warning
 *   visible but read-locked  -> OPERATION_DISALLOWED (wire code DENIED; hidden wins over it)
 *   a repository with nothing visible -> exactly a missing repository's error
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../config/load.ts';
import { createServices, type Services } from '../services.ts';
import { accessFromGrants, anonymousGrants, grantsFromRoles } from '../access/policy.ts';
import type { AccessContext } from '../access/actions.ts';
import type { RoleName } from '../access/roles.ts';
import { digestOf, type Digest } from '../oci/digest.ts';
import { parseManifest } from '../oci/manifest.ts';
import { changePolicy } from '../quarantine/policy.ts';
import { RegistryError } from '../errors/registry-error.ts';
import type { RegistryView } from './registry.ts';

type Kind = 'anonymous' | 'pull-only' | 'reader' | 'pusher' | 'quarantine reader' | 'quarantine writer' | 'contributor' | 'owner';
const ROLE: Record<Exclude<Kind, 'anonymous'>, RoleName> = {
  'pull-only': 'AcrPull',
  reader: 'Reader',
  pusher: 'AcrPush',
  'quarantine reader': 'AcrQuarantineReader',
  'quarantine writer': 'AcrQuarantineWriter',
  contributor: 'Contributor',
  owner: 'Owner',
};
const KINDS = ['anonymous', ...Object.keys(ROLE)] as Kind[];
type Item = 'held' | 'failed' | 'passed';
const ITEMS: Item[] = ['held', 'failed', 'passed'];
type Attributes = 'plain' | 'read-locked' | 'list-locked';

const qread = (k: Kind) => k === 'quarantine reader' || k === 'quarantine writer';
const push = (k: Kind) => k === 'pusher' || k === 'contributor' || k === 'owner';
const configure = (k: Kind) => k === 'contributor' || k === 'owner';
const visible = (k: Kind, policy: boolean, item: Item, method: 'GET' | 'HEAD' = 'GET') => !policy || item === 'passed' || qread(k) || (method === 'HEAD' && push(k));

function accessOf(kind: Kind): AccessContext {
  if (kind === 'anonymous') return accessFromGrants({ kind: 'anonymous', id: 'anonymous', name: '' }, anonymousGrants(true));
  return accessFromGrants({ kind: 'user', id: kind, name: kind }, grantsFromRoles([{ role: ROLE[kind] }]));
}

/** What an operation answered: `ok` or `<status> <code>` (+ ` W` when it carries a Warning). */
async function outcome(op: () => Promise<unknown>): Promise<string> {
  try {
    await op();
    return 'ok';
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    return `${err.status} ${err.code}${err.headers.Warning ? ' W' : ''}`;
  }
}

async function errorOf(op: () => Promise<unknown>): Promise<unknown> {
  try {
    await op();
  } catch (err) {
    if (err instanceof RegistryError) return { status: err.status, code: err.code, message: err.message, detail: err.detail, headers: err.headers };
    throw err;
  }
  return 'ok';
}

describe('registry service leak matrix', () => {
  let services: Services;
  let dir: string;
  const img = {} as Record<Item, { digest: Digest; layer: Digest }>;
  let owner: RegistryView;
  const GHOST = `sha256:${'e'.repeat(64)}` as Digest;

  async function blob(repository: string, content: string): Promise<{ digest: Digest; size: number }> {
    const bytes = Buffer.from(content);
    const digest = digestOf(bytes);
    await services.blobs.put(digest, Readable.from([bytes]), bytes.length);
    await services.store.blobs.link(repository, digest, bytes.length);
    return { digest, size: bytes.length };
  }

  async function image(repository: string, seed: string, tag: string) {
    const config = await blob(repository, JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed }));
    const layer = await blob(repository, `layer of ${seed}`);
    const bytes = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }));
    const digest = digestOf(bytes);
    const facts = { id: 'setup', host: 'localhost', method: 'PUT', useragent: 'test', actor: 'owner' };
    await owner.pushManifest(repository, { digest, bytes, manifest: parseManifest(bytes, 'application/vnd.oci.image.manifest.v1+json'), tags: [tag] }, facts);
    return { digest, layer: layer.digest };
  }

  async function setPolicy(on: boolean) {
    await services.store.transaction((tx) => changePolicy(tx, on ? 'enabled' : 'disabled', { actor: 'test' }));
    services.quarantinePolicy.invalidate();
  }

  async function setAttributes(attributes: Attributes) {
    await services.store.repositories.updateAttributes('m/app', { readEnabled: attributes !== 'read-locked' });
    for (const item of ITEMS) await services.store.tags.updateAttributes('m/app', item, { listEnabled: attributes !== 'list-locked' });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lazaret-registry-matrix-'));
    services = await createServices(loadConfig({ env: {}, overrides: { dataDir: dir, 'log.level': 'silent' } }), pino({ level: 'silent' }));
    owner = services.registry.as(accessOf('owner'));
    for (const item of ITEMS) img[item] = await image('m/app', `m-${item}`, item);
    const allheld = await image('m/allheld', 'm-allheld', 'only');
    const v = (repository: string, digest: Digest, state: 'Quarantined' | 'Failed' | 'Passed') => services.store.verdicts.set({ repository, digest, state, updatedBy: 'test' });
    await v('m/app', img.held.digest, 'Quarantined');
    await v('m/app', img.failed.digest, 'Failed');
    await v('m/app', img.passed.digest, 'Passed');
    await v('m/allheld', allheld.digest, 'Quarantined');
    await services.store.audit.append({ actor: 'scanner', action: 'verdict.change', target: `m/app@${img.failed.digest}`, after: { state: 'Failed' } });
  });
  after(async () => {
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const policy of [false, true]) {
    for (const attributes of ['plain', 'read-locked', 'list-locked'] as Attributes[]) {
      test(`policy ${policy ? 'on' : 'off'}, ${attributes}`, async () => {
        await setPolicy(policy);
        await setAttributes(attributes);
        const got: Record<string, unknown> = {};
        const want: Record<string, unknown> = {};
        for (const kind of KINDS) {
          const r = services.registry.as(accessOf(kind));
          const k = (key: string) => `${kind} | ${key}`;
          const read = (ok: boolean, hidden: string) => (ok ? (attributes === 'read-locked' ? '403 DENIED' : 'ok') : hidden);
          for (const item of ITEMS) {
            for (const method of ['GET', 'HEAD'] as const) {
              const tagHidden = push(kind) ? '404 MANIFEST_UNKNOWN W' : '404 MANIFEST_UNKNOWN';
              got[k(`${item} ${method} by tag`)] = await outcome(() => r.readManifest('m/app', { kind: 'tag', tag: item }, method));
              want[k(`${item} ${method} by tag`)] = read(visible(kind, policy, item, method), tagHidden);
              got[k(`${item} ${method} by digest`)] = await outcome(() => r.readManifest('m/app', { kind: 'digest', digest: img[item].digest }, method));
              want[k(`${item} ${method} by digest`)] = read(visible(kind, policy, item, method), '403 IMAGE_QUARANTINED W');
              got[k(`${item} ${method} blob`)] = await outcome(() => r.readBlob('m/app', img[item].layer, method));
              want[k(`${item} ${method} blob`)] = read(visible(kind, policy, item, method), '403 IMAGE_QUARANTINED W');
            }
            // A hidden tag is byte for byte a missing tag (the Warning only for push holders).
            if (!visible(kind, policy, item)) {
              type E = { message: string; detail: Record<string, string>; headers: Record<string, string> };
              const asIf = (e: E, other: string) => ({ ...e, message: e.message.replace(`${other}`, item), detail: { ...e.detail, tag: item } });
              for (const [label, hiddenOp, missingOp] of [
                ['/v2', () => r.readManifest('m/app', { kind: 'tag', tag: item }, 'GET'), () => r.readManifest('m/app', { kind: 'tag', tag: `${item}-gone` }, 'GET')],
                ['/acr/v1', () => r.tag('m/app', item), () => r.tag('m/app', `${item}-gone`)],
              ] as const) {
                const hidden = (await errorOf(hiddenOp)) as E;
                const absent = asIf((await errorOf(missingOp)) as E, `${item}-gone`);
                if (push(kind)) assert.match(hidden.headers.Warning ?? '', /^299 - ".*held by the quarantine policy/, k(`${label} ${item}: a push holder is told why`));
                assert.deepEqual({ ...hidden, headers: push(kind) ? {} : hidden.headers }, absent, k(`${label} ${item}: hidden tag answers as a missing tag`));
              }
            } else {
              got[k(`${item} /acr/v1 tag`)] = await outcome(() => r.tag('m/app', item));
              want[k(`${item} /acr/v1 tag`)] = 'ok';
            }
            got[k(`${item} /acr/v1 manifest`)] = await outcome(() => r.manifest('m/app', img[item].digest));
            want[k(`${item} /acr/v1 manifest`)] = visible(kind, policy, item) ? 'ok' : '403 IMAGE_QUARANTINED W';
            got[k(`${item} mount`)] = (await r.mountSource('m/app', img[item].layer)) !== undefined;
            want[k(`${item} mount`)] = visible(kind, policy, item) && attributes !== 'read-locked';
          }
          const seen = ITEMS.filter((i) => visible(kind, policy, i));
          const listed = attributes === 'list-locked' ? [] : [...seen].sort();
          got[k('/v2 tags list')] = await outcome(async () => assert.deepEqual((await r.listTagNames('m/app', { n: 100 })).items, listed));
          want[k('/v2 tags list')] = 'ok';
          got[k('/acr/v1 tags')] = (await r.listTags('m/app', { n: 100, orderBy: 'none' })).items.map((t) => t.tag.name);
          want[k('/acr/v1 tags')] = listed;
          got[k('/acr/v1 manifests')] = (await r.listManifests('m/app', { n: 100, orderBy: 'none' })).items.map((m) => m.manifest.digest).sort();
          want[k('/acr/v1 manifests')] = seen.map((i) => img[i].digest).sort();
          const repo = await r.repository('m/app');
          got[k('counts')] = [repo.manifestCount, repo.tagCount];
          want[k('counts')] = [seen.length, seen.length];
          got[k('catalog')] = (await r.listRepositories({ n: 100 })).items;
          want[k('catalog')] = !policy || qread(kind) ? ['m/allheld', 'm/app'] : ['m/app'];
          // Cursors: a time-ordered cursor naming a hidden tag gives what a missing one gives.
          if (!visible(kind, policy, 'held')) {
            for (const orderBy of ['timedesc', 'timeasc'] as const) {
              assert.deepEqual(await r.listTags('m/app', { n: 100, orderBy, last: 'held' }), await r.listTags('m/app', { n: 100, orderBy, last: 'gone' }), k(`${orderBy} cursor on a held tag`));
              assert.deepEqual(await r.listManifests('m/app', { n: 100, orderBy, last: img.held.digest }), await r.listManifests('m/app', { n: 100, orderBy, last: GHOST }), k(`${orderBy} cursor on a held digest`));
            }
          }
          // Existence after visibility: a held-only repository is a missing one.
          if (!(!policy || qread(kind))) {
            for (const [label, op] of [
              ['repository', (name: string) => r.repository(name)],
              ['tag', (name: string) => r.tag(name, 'only')],
              ['unknown digest', (name: string) => r.manifest(name, GHOST)],
              ['tag delete', (name: string) => r.deleteTag(name, 'only')],
            ] as const) {
              const a = (await errorOf(() => op('m/allheld'))) as { detail?: { name?: string } };
              const b = (await errorOf(() => op('m/none'))) as { detail?: { name?: string } };
              assert.deepEqual({ ...a, detail: { ...a.detail, name: 'x' } }, { ...b, detail: { ...b.detail, name: 'x' } }, k(`held-only repository ${label}`));
            }
          }
          // Held metadata: the queue and the audit log's verdict entries.
          const queue = await r.queue({ states: ['absent', 'Quarantined', 'Failed'], n: 100 });
          got[k('queue')] = queue.rows.filter((row) => row.repository === 'm/app').length;
          want[k('queue')] = qread(kind) || configure(kind) ? 2 : 0;
          // The `waiting` filter (its own page filling and cursor): nothing, and no cursor, for one who may not see held metadata.
          if (!(qread(kind) || configure(kind))) {
            const waiting = await r.queue({ states: ['absent', 'Quarantined'], waiting: true, n: 1 });
            got[k('waiting queue')] = { rows: waiting.rows.filter((row) => row.repository === 'm/app').length, next: waiting.next };
            want[k('waiting queue')] = { rows: 0, next: undefined };
          }
          got[k('audit verdict entries')] = (await r.audit({ n: 100, action: 'verdict.change', targetPrefix: 'm/app@' })).entries.length > 0;
          want[k('audit verdict entries')] = qread(kind) || configure(kind);
        }
        assert.deepEqual(got, want);
      });
    }
  }
});
