/**
 * The quarantine, manifest, repository and audit commands of the `lazaret` CLI, run as a real
 * process against a real server (auth none: every caller may configure; verdicts need a
 * quarantine writer, which test/quarantine-walkthrough.test.ts covers with real identities).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';

const BIN = fileURLToPath(new URL('../bin/lazaret.js', import.meta.url));

export function lazaret(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('lazaret quarantine / manifest / repository / audit (auth none)', () => {
  let s: TestServer;
  let env: Record<string, string>;
  let img: PushedImage;

  before(async () => {
    s = await startTestServer({ 'auth.mode': 'none' });
    env = { LAZARET_REGISTRY: s.url };
    img = await pushImage(s.url, 'team/web', { seed: 'cli', tag: '1.0' });
  });
  after(() => s.close());

  test('status, preflight, enable, list', async () => {
    const st = await lazaret(['quarantine', 'status'], env);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /quarantinePolicy\s+disabled/);
    const pre = await lazaret(['quarantine', 'preflight'], env);
    assert.match(pre.stdout, /enabling would hold 1 manifest\(s\) \(no verdict 1/);
    assert.match(pre.stdout, new RegExp(`team/web\\s+${img.digest}\\s+1\\.0\\s+\\(none\\)`));
    const unconfirmed = await lazaret(['quarantine', 'enable'], env);
    assert.notEqual(unconfirmed.code, 0, 'without a terminal, enable needs --yes');
    assert.match(unconfirmed.stderr, /this will hold 1 manifest\(s\) in 1 repositories, including for Owners.*pass --yes/);
    assert.match((await lazaret(['quarantine', 'status'], env)).stdout, /quarantinePolicy\s+disabled/, 'nothing changed');
    const enabled = await lazaret(['quarantine', 'enable', '--yes'], env);
    assert.match(enabled.stdout, /quarantinePolicy\s+enabled/);
    assert.match(enabled.stderr, /this will hold 1 manifest\(s\) in 1 repositories/);
    const list = await lazaret(['quarantine', 'list', '--state', 'absent', '--repository', 'team/web', '-o', 'json'], env);
    assert.equal(JSON.parse(list.stdout).manifests[0].digest, img.digest);
  });

  test('manifest show by tag and digest; repository show-tags; a refusal is one readable line', async () => {
    // auth none has no quarantine read: the held manifest is hidden, by tag as if absent; and
    // team/web holds nothing else, so it answers as a missing repository (issue 10 item 5).
    const hidden = await lazaret(['manifest', 'show', 'team/web:1.0'], env);
    assert.equal(hidden.code, 1);
    assert.match(hidden.stderr, /^error: 404 NAME_UNKNOWN: repository name not known to registry\n$/);
    const byDigest = await lazaret(['manifest', 'show', `team/web@${img.digest}`], env);
    assert.match(byDigest.stderr, /403 IMAGE_QUARANTINED: The operation is disallowed\./);
    assert.match((await lazaret(['quarantine', 'grandfather'], env)).stderr, /repeat with --yes/);
    assert.match((await lazaret(['quarantine', 'grandfather', '--yes'], env)).stdout, /PASSED\s*\n1\b/);
    const shown = await lazaret(['manifest', 'show', 'team/web:1.0'], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /quarantineState\s+Passed/);
    assert.match(shown.stdout, /platform\s+linux\/amd64/);
    const tags = await lazaret(['repository', 'show-tags', 'team/web'], env);
    assert.match(tags.stdout, new RegExp(`1\\.0\\s+${img.digest}\\s+Passed`));
    const manifests = await lazaret(['repository', 'show-manifests', 'team/web', '-o', 'json'], env);
    assert.equal(JSON.parse(manifests.stdout)[0].changeableAttributes.quarantineState, 'Passed');
    assert.match((await lazaret(['repository', 'list'], env)).stdout, /team\/web/);
    const setv = await lazaret(['manifest', 'set-verdict', 'team/web:1.0', '--state', 'Failed'], env);
    assert.match(setv.stderr, /needs REPO@DIGEST/);
  });

  test('audit list shows the push-time verdict, the policy change and the grandfathering', async () => {
    const out = await lazaret(['audit', 'list', '-o', 'json'], env);
    const actions = JSON.parse(out.stdout).entries.map((e: { action: string; details: unknown }) => `${e.action}${typeof e.details === 'string' && e.details.startsWith('grandfathered') ? ' (grandfathered)' : ''}`);
    // Newest first; the push before the policy change is audited too (an image's history reads it).
    assert.deepEqual(actions, ['verdict.change (grandfathered)', 'policy.change', 'manifest.push']);
    const table = await lazaret(['audit', 'list', '--action', 'policy.change'], env);
    assert.match(table.stdout, /policy\.change\s+policy:quarantine\s+\{"status":"disabled"\} -> \{"status":"enabled"\}/);
  });

  test('repository delete needs --yes', async () => {
    assert.match((await lazaret(['repository', 'delete', 'team/web'], env)).stderr, /repeat with --yes/);
    assert.match((await lazaret(['repository', 'delete', 'team/web', '--yes'], env)).stdout, /team\/web\s+1\s+1/);
    assert.match((await lazaret(['repository', 'show', 'team/web'], env)).stderr, /404 NAME_UNKNOWN/);
  });

  test('quarantine queue: the endpoint of the portal queue page, a name filter, pages with --after', async () => {
    const other = await pushImage(s.url, 'team/api', { seed: 'cli-api', tag: '1' });
    await pushImage(s.url, 'team/api', { seed: 'cli-api-2', tag: '2' });
    const page1 = await lazaret(['quarantine', 'queue', '--contains', 'API', '-n', '1'], env);
    assert.equal(page1.code, 0, page1.stderr);
    assert.match(page1.stdout, new RegExp(`team/api\\s+${other.digest}\\s+1\\s+Quarantined`));
    assert.doesNotMatch(page1.stdout, /team\/web/);
    const cursor = /more: --after (\S+)/.exec(page1.stderr)?.[1];
    assert.ok(cursor, page1.stderr);
    const page2 = JSON.parse((await lazaret(['quarantine', 'queue', '--contains', 'api', '-n', '1', '--after', cursor, '-o', 'json'], env)).stdout);
    assert.deepEqual(page2.manifests.map((m: { tags: string[]; waiting: boolean }) => [m.tags, m.waiting]), [[['2'], true]]);
    assert.equal(page2.next, undefined);
  });
});
