import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidRepositoryName, isValidTag, parseReference } from './name.ts';
import { parseDigest, isDigest, digestOf } from './digest.ts';

const SHA = 'a'.repeat(64);

test('repository names follow the OCI grammar', () => {
  for (const ok of ['hello', 'team/app/web', 'a.b_c__d--e', 'x/y.z', 'a'.repeat(255)]) assert.ok(isValidRepositoryName(ok), ok);
  for (const bad of ['', 'Hello', '/x', 'x/', 'x//y', '../etc', 'x/../y', 'a..b', 'a___b', '-a', 'a-', 'a b', 'a%2Fb', 'a'.repeat(256)])
    assert.equal(isValidRepositoryName(bad), false, bad);
});

test('tags are 1-128 chars of [a-zA-Z0-9_.-] not starting with . or -', () => {
  for (const ok of ['latest', 'v1.2.3', '_x', 'A-b_c.d', 'a'.repeat(128)]) assert.ok(isValidTag(ok), ok);
  for (const bad of ['', '.x', '-x', 'a/b', 'a:b', 'a'.repeat(129)]) assert.equal(isValidTag(bad), false, bad);
});

test('digests: sha256 and sha512 only, lowercase hex of the exact length', () => {
  assert.deepEqual(parseDigest(`sha256:${SHA}`), { algorithm: 'sha256', hex: SHA });
  assert.ok(isDigest(`sha512:${'b'.repeat(128)}`));
  for (const bad of [`sha256:${SHA.toUpperCase()}`, `sha256:${SHA}0`, `md5:${SHA}`, `sha256:../../${SHA.slice(6)}`, 'sha256:', `sha512:${SHA}`])
    assert.equal(isDigest(bad), false, bad);
  assert.equal(digestOf('hello'), 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
});

test('references are a digest when they contain a colon, else a tag', () => {
  assert.deepEqual(parseReference('latest'), { kind: 'tag', tag: 'latest' });
  assert.deepEqual(parseReference(`sha256:${SHA}`), { kind: 'digest', digest: `sha256:${SHA}` });
  assert.equal(parseReference('sha256:nothex'), undefined);
  assert.equal(parseReference('bad/tag'), undefined);
});
