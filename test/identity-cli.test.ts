/**
 * The identity commands of the real `lazaret` binary (node bin/lazaret.js) against a real
 * server: login (stored credentials, mode 0600), users, roles, tokens, scope maps, issuers,
 * anonymous pull; JSON output; clear failures with a non-zero exit.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_PASSWORD, startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';

const ROOT = new URL('..', import.meta.url).pathname;
let server: TestServer;
let home: string;

before(async () => {
  server = await startTokenServer();
  home = mkdtempSync(join(tmpdir(), 'lazaret-cli-home-'));
});
after(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

function cli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(ROOT, 'bin/lazaret.js'), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: home, LAZARET_CONFIG_HOME: join(home, 'cfg'), ...options.env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(options.stdin ?? '');
  });
}

test('login: wrong password fails clearly; --password-stdin stores the credential with mode 0600', async () => {
  const bad = await cli(['login', server.url, '-u', 'admin', '-p', 'wrong-password']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /login to .* failed: 401 UNAUTHORIZED/);

  const ok = await cli(['login', server.url, '-u', 'admin', '--password-stdin'], { stdin: `${ADMIN_PASSWORD}\n` });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Login Succeeded/);
  const file = join(home, 'cfg', 'credentials.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const me = await cli(['whoami']);
  assert.match(me.stdout, /^admin\s+user\s+Owner\s+catalog,configure,admin,audit_read,metrics$/m, me.stdout + me.stderr);
  assert.match(me.stdout, /^NAME\s+KIND\s+ROLES\s+REGISTRY-WIDE ACTIONS$/m, 'columns named for what they hold');
  const stored = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(stored.default, server.url);
  assert.equal(stored.registries[server.url].username, 'admin');
});

test('users and roles through the stored login', async () => {
  const created = await cli(['user', 'create', 'alice', '--role', 'AcrPull', '--role', 'AcrPush@team-a/*']);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /created user alice \(AcrPull, AcrPush@team-a\/\*\)/);
  const generated = /password \(shown once\): (\S+)/.exec(created.stdout)?.[1];
  assert.ok(generated);

  const list = await cli(['user', 'list']);
  assert.match(list.stdout, /^NAME\s+ROLES\s+CREATED/m);
  assert.match(list.stdout, /^alice\s+AcrPull, AcrPush@team-a\/\*/m);
  const json = JSON.parse((await cli(['user', 'list', '--output', 'json'])).stdout);
  assert.deepEqual(json.map((u: { name: string }) => u.name), ['admin', 'alice']);

  assert.equal((await cli(['role', 'assign', '--user', 'alice', '--role', 'AcrDelete', '--repository', 'team-a/app'])).code, 0);
  const roles = await cli(['role', 'list', '--user', 'alice', '-o', 'json']);
  assert.deepEqual(JSON.parse(roles.stdout).map((a: { role: string }) => a.role), ['AcrDelete', 'AcrPull', 'AcrPush']);
  assert.equal((await cli(['role', 'remove', '--user', 'alice', '--role', 'AcrDelete', '--repository', 'team-a/app'])).code, 0);
  const badRole = await cli(['role', 'assign', '--user', 'alice', '--role', 'Superuser']);
  assert.notEqual(badRole.code, 0);
  assert.match(badRole.stderr, /400 BAD_REQUEST/);
  // A misspelled role names the valid roles, once (not one schema error per role).
  assert.match(badRole.stderr, /role must be one of: Owner, Contributor, Reader, AcrPull, AcrPush, AcrDelete, AcrImageSigner, AcrQuarantineReader, AcrQuarantineWriter/);
  assert.equal(badRole.stderr.match(/AcrPull/g)?.length, 1, badRole.stderr);
  const typo = await cli(['user', 'create', 'bob', '--role', 'AcrPul']);
  assert.notEqual(typo.code, 0);
  assert.match(typo.stderr, /must be one of: .*AcrPull/);

  // alice is no Owner: explicit -u/-p beat the stored login, and she is refused.
  const denied = await cli(['user', 'list', '-u', 'alice', '-p', generated!], { env: { LAZARET_USERNAME: 'admin', LAZARET_PASSWORD: ADMIN_PASSWORD } });
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /403 DENIED/);

  assert.equal((await cli(['user', 'set-password', 'alice', '--password-stdin'], { stdin: 'alice-new-password\n' })).code, 0);
  const q = new URLSearchParams({ service: new URL(server.url).host, scope: 'repository:x:pull' });
  const login = (pw: string) => fetch(`${server.url}/oauth2/token?${q}`, { headers: { authorization: `Basic ${Buffer.from(`alice:${pw}`).toString('base64')}` } });
  assert.equal((await login('alice-new-password')).status, 200, 'the new password works');
  assert.equal((await login(generated!)).status, 401, 'the old one does not');
  assert.equal((await cli(['user', 'delete', 'alice'])).code, 0);
  const again = await cli(['user', 'delete', 'alice']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /404 NOT_FOUND: user alice not found/);
});

test('tokens and scope maps', async () => {
  const sm = await cli(['scope-map', 'create', 'team-a-read', '--action', 'repositories/team-a/*/content/read', 'repositories/team-a/*/metadata/read']);
  assert.equal(sm.code, 0, sm.stderr);
  const maps = (await (await fetch(`${server.url}/api/v1/scope-maps`, { headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` } })).json()) as { name: string }[];
  assert.ok(maps.some((m) => m.name === 'team-a-read'));

  const created = await cli(['token', 'create', 'ci', '--scope-map', 'team-a-read']);
  assert.equal(created.code, 0, created.stderr);
  const pw = /password1 \(shown once\): (\S+)/.exec(created.stdout)?.[1];
  assert.ok(pw);
  const q = new URLSearchParams({ service: new URL(server.url).host, scope: 'repository:team-a/x:pull' });
  const auth = { authorization: `Basic ${Buffer.from(`ci:${pw}`).toString('base64')}` };
  assert.equal((await fetch(`${server.url}/oauth2/token?${q}`, { headers: auth })).status, 200);

  assert.equal((await cli(['token', 'disable', 'ci'])).code, 0);
  assert.equal((await fetch(`${server.url}/oauth2/token?${q}`, { headers: auth })).status, 401);
  const list = await cli(['token', 'list']);
  assert.match(list.stdout, /^ci\s+team-a-read\s+disabled\s+password1/m);

  const inUse = await cli(['scope-map', 'delete', 'team-a-read']);
  assert.notEqual(inUse.code, 0);
  assert.match(inUse.stderr, /409 CONFLICT/);
  assert.equal((await cli(['token', 'delete', 'ci'])).code, 0);
  assert.equal((await cli(['scope-map', 'delete', 'team-a-read'])).code, 0);
});

test('issuers, anonymous pull, logout', async () => {
  const set = await cli(['issuer', 'set', 'ci', '--issuer', 'https://ci.example', '--audience', 'lazaret', '--jwks-url', 'https://ci.example/jwks', '--rule', 'repo:org/*=AcrPush@org/*,AcrPull']);
  assert.equal(set.code, 0, set.stderr);
  const shown = JSON.parse((await cli(['issuer', 'show', 'ci', '-o', 'json'])).stdout);
  assert.deepEqual(shown.rules, [{ match: 'repo:org/*', roles: [{ role: 'AcrPush', repository: 'org/*' }, { role: 'AcrPull' }] }]);
  const bad = await cli(['issuer', 'set', 'x', '--issuer', 'i']);
  assert.notEqual(bad.code, 0);

  assert.match((await cli(['anonymous-pull', 'enable'])).stdout, /enabled/);
  const anon = await fetch(`${server.url}/oauth2/token?service=${new URL(server.url).host}&scope=repository:x:pull`);
  assert.equal(anon.status, 200, 'anonymous pull is on');

  assert.equal((await cli(['logout'])).code, 0);
  const none = await cli(['user', 'list']);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /no registry|401/);
});
