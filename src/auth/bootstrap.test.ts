import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { openSqliteStore } from '../persistence/index.ts';
import { bootstrapAdmin, INITIAL_PASSWORD_FILE } from './bootstrap.ts';
import { verifyPassword } from './passwords.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
  return { logger: pino({ level: 'info' }, stream), lines };
}

test('first start: admin (Owner) with a generated password, logged once and written 0600; later starts do nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-bootstrap-'));
  const store = await openSqliteStore(join(dir, 'lazaret.db'));
  try {
    const { logger, lines } = capture();
    await bootstrapAdmin({ store, logger, dataDir: dir });
    const file = join(dir, INITIAL_PASSWORD_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const password = readFileSync(file, 'utf8').trim();
    assert.ok(password.length >= 32);
    const admin = (await store.users.get('admin'))!;
    assert.equal(await verifyPassword(password, admin.passwordHash), true);
    assert.deepEqual((await store.roleAssignments.listForUser(admin.id)).map((a) => [a.role, a.repository]), [['Owner', undefined]]);
    assert.equal(lines.length, 1);
    assert.ok(JSON.parse(lines[0]!).msg.includes(`Its password: ${password}`), 'a clear line with the password');
    assert.equal((await store.audit.list({ action: 'user.create' }))[0]!.target, 'user:admin');

    rmSync(file);
    await bootstrapAdmin({ store, logger, dataDir: dir });
    assert.equal(existsSync(file), false, 'users exist: nothing happens');
    assert.equal(lines.length, 1);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('auth.adminPassword: used as given, nothing written to disk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-bootstrap-'));
  const store = await openSqliteStore(join(dir, 'lazaret.db'));
  try {
    const { logger, lines } = capture();
    await bootstrapAdmin({ store, logger, dataDir: dir, adminPassword: 'configured-password' });
    assert.equal(existsSync(join(dir, INITIAL_PASSWORD_FILE)), false);
    assert.equal(await verifyPassword('configured-password', (await store.users.get('admin'))!.passwordHash), true);
    assert.equal(lines.join('').includes('configured-password'), false, 'a configured password is never logged');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
