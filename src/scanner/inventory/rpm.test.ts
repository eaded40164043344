import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { parseRpmDatabase, parseRpmHeader, sourceRpmName } from './rpm.ts';

/** An RPM header blob as rpmdb.sqlite stores it (no magic): index entries then the data store. */
function header(tags: [number, 'string' | 'int32', string | number][]): Buffer {
  const data: Buffer[] = [];
  const index: Buffer[] = [];
  let offset = 0;
  for (const [tag, type, value] of tags) {
    let bytes: Buffer;
    if (type === 'int32') {
      const pad = (4 - (offset % 4)) % 4;
      if (pad) data.push(Buffer.alloc(pad)), (offset += pad);
      bytes = Buffer.alloc(4);
      bytes.writeInt32BE(value as number);
    } else bytes = Buffer.from(`${value}\0`);
    const e = Buffer.alloc(16);
    e.writeInt32BE(tag, 0);
    e.writeInt32BE(type === 'int32' ? 4 : 6, 4);
    e.writeInt32BE(offset, 8);
    e.writeInt32BE(1, 12);
    index.push(e);
    data.push(bytes);
    offset += bytes.length;
  }
  const head = Buffer.alloc(8);
  head.writeInt32BE(tags.length, 0);
  head.writeInt32BE(offset, 4);
  return Buffer.concat([head, ...index, ...data]);
}

const openssl = header([
  [1000, 'string', 'openssl-libs'],
  [1001, 'string', '3.0.7'],
  [1002, 'string', '24.el9'],
  [1003, 'int32', 1],
  [1014, 'string', 'ASL 2.0'],
  [1022, 'string', 'x86_64'],
  [1044, 'string', 'openssl-3.0.7-24.el9.src.rpm'],
]);

test('RPM header blobs: name, epoch:version-release, arch, license, source RPM', () => {
  assert.deepEqual(parseRpmHeader(openssl), { name: 'openssl-libs', version: '3.0.7', release: '24.el9', epoch: 1, license: 'ASL 2.0', arch: 'x86_64', sourceRpm: 'openssl-3.0.7-24.el9.src.rpm' });
  assert.equal(sourceRpmName('openssl-3.0.7-24.el9.src.rpm'), 'openssl');
  assert.equal(sourceRpmName('python3.11-pip-22.3.1-4.el9.src.rpm'), 'python3.11-pip');
  assert.equal(sourceRpmName('not-a-source-rpm'), undefined);
});

test('corrupt headers are skipped, never read past their end', () => {
  const bad = Buffer.from(openssl);
  bad.writeInt32BE(1 << 20, 0); // index count beyond the blob
  assert.equal(parseRpmHeader(bad), undefined);
  const cut = openssl.subarray(0, openssl.length - 10);
  assert.equal(parseRpmHeader(cut), undefined);
  const offset = Buffer.from(openssl);
  offset.writeInt32BE(1 << 24, 8 + 8); // first entry's offset outside the store
  assert.equal(parseRpmHeader(offset), undefined);
});

test('rpmdb.sqlite: every package but gpg-pubkey, from a real SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rpmdb-test-'));
  try {
    const file = join(dir, 'rpmdb.sqlite');
    const db = new Database(file);
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    insert.run(openssl);
    insert.run(header([[1000, 'string', 'bash'], [1001, 'string', '5.1.8'], [1002, 'string', '6.el9_1'], [1044, 'string', 'bash-5.1.8-6.el9_1.src.rpm']]));
    insert.run(header([[1000, 'string', 'gpg-pubkey'], [1001, 'string', 'fd431d51'], [1002, 'string', '4ae0493b']]));
    insert.run(Buffer.from('garbage'));
    db.close();
    const pkgs = parseRpmDatabase(readFileSync(file), 'var/lib/rpm/rpmdb.sqlite');
    assert.deepEqual(
      pkgs.map((p) => `${p.name} ${p.version} ${p.sourceName}`),
      ['openssl-libs 1:3.0.7-24.el9 openssl', 'bash 5.1.8-6.el9_1 bash'],
    );
    assert.deepEqual(parseRpmDatabase(Buffer.from('not a database'), 'x'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
