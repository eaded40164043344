/**
 * The scan orchestrator's verdicts go through the registry service (changeVerdictIn) as the
 * scanner's principal: quarantine write on the job's repository only, audited as that
 * principal, in the caller's transaction (a rollback takes the verdict and its audit back).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../config/load.ts';
import { createServices, type Services } from '../services.ts';
import { accessFromGrants, grantsFromRoles } from '../access/policy.ts';
import { digestOf, type Digest } from '../oci/digest.ts';
import { parseManifest } from '../oci/manifest.ts';
import { RegistryError } from '../errors/registry-error.ts';
import { scanVerdictAccess } from './verdict-access.ts';

let dir: string;
let services: Services;
const facts = { id: 'job-1', host: '', method: 'PATCH', useragent: 'lazaret-scan (scanner trivy)', actor: 'scanner:trivy' };

async function push(repository: string): Promise<Digest> {
  const owner = services.registry.as(accessFromGrants({ kind: 'user', id: 'o', name: 'owner' }, grantsFromRoles([{ role: 'Owner' }])));
  const config = Buffer.from(`{"repository":"${repository}"}`);
  const cfg = digestOf(config);
  await services.blobs.put(cfg, Readable.from([config]), config.length);
  await services.store.blobs.link(repository, cfg, config.length);
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg, size: config.length }, layers: [] }));
  const digest = digestOf(bytes);
  await owner.pushManifest(repository, { digest, bytes, manifest: parseManifest(bytes, 'application/vnd.oci.image.manifest.v1+json'), tags: ['v1'] }, { ...facts, actor: 'owner' });
  return digest;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lazaret-verdict-path-'));
  services = await createServices(loadConfig({ env: {}, overrides: { dataDir: dir, 'log.level': 'silent', 'scanner.builtin': false } }), pino({ level: 'silent' }));
});
after(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a scanner principal changes verdicts of its job\'s repository only, audited as itself, in the caller\'s transaction', async () => {
  const mine = await push('scan/mine');
  const other = await push('scan/other');
  const view = services.registry.as(scanVerdictAccess('scanner:trivy', 'scan/mine'));
  // Inside a transaction everything is read through it (SQLite serializes transactions).
  const manifestOf = async (tx: { manifests: Services['store']['manifests'] }, repository: string, digest: Digest) => (await tx.manifests.get(repository, digest))!;

  await assert.rejects(
    services.store.transaction(async (tx) => view.changeVerdictIn(tx, await manifestOf(tx, 'scan/other', other), { state: 'Passed' }, facts)),
    (err: unknown) => err instanceof RegistryError && err.code === 'DENIED',
  );
  assert.notEqual((await services.store.verdicts.get('scan/other', other))?.state, 'Passed');

  // A rollback of the caller's transaction takes the verdict and its audit entry with it.
  await assert.rejects(
    services.store.transaction(async (tx) => {
      await view.changeVerdictIn(tx, await manifestOf(tx, 'scan/mine', mine), { state: 'Failed' }, facts);
      throw new Error('the job release failed');
    }),
    /the job release failed/,
  );
  assert.notEqual((await services.store.verdicts.get('scan/mine', mine))?.state, 'Failed');

  await services.store.transaction(async (tx) => view.changeVerdictIn(tx, await manifestOf(tx, 'scan/mine', mine), { state: 'Passed' }, facts));
  assert.equal((await services.store.verdicts.get('scan/mine', mine))?.state, 'Passed');
  const entries = (await services.store.audit.list({ n: 50 })).filter((e) => e.action === 'verdict.change' && e.target === `scan/mine@${mine}`);
  assert.equal(entries.length, 1, 'one audited change: the rolled-back one left nothing');
  assert.equal(entries[0]!.actor, 'scanner:trivy');
});
